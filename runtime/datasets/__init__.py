"""Datasets: CSV files in the BlobStore, described in `datasets`, one document per row in
`records` (its values and its label, if any). One module per concern:

- `csvfile`: the checks an upload passes, streaming, before anything is written;
- `task`: the dataset's task (classification or regression) and label set, decided at upload
  and kept by labelling and training;
- `ingest`: store the file, its records and its description, or undo what was written;
- `append`: more rows, checked like an upload: a new file, the dataset's `revision` + 1;
- `explore`: the first records in file order, and per-column statistics of the file;
- `delete`: the dataset with its records, annotations, predictions and files;
- `store`: read descriptions and records;
- `training`: the labelled snapshot a training job reads, and enqueueing it;
- `ref`: `DatasetRef`, a CSV in the BlobStore as jobs name it, and reading it as a frame.
"""
