"""The compiled inference path: a fitted scikit-learn pipeline turned into a small numeric
plan (imputation, scaling, one-hot vocabularies applied with numpy) and a scorer (tree
ensembles through treelite's GTIL, linear models as one matrix product), stored as its own
checksummed artifact and verified against scikit-learn at training.

- `compile_pipeline(model)`: `CompiledModel`, or `NotCompilable` naming what is not covered.
- `dumps` / `loads`: the artifact (a JSON header and raw numeric arrays; never pickle); the
  loader checks every field and array and refuses what it does not recognise.
- `CompiledModel.predict_rows(rows)` scores validated JSON rows (`rows.RowSchema`), and
  `predict_frame(frame)` a table read from CSV.
- `verify.agreement(...)`: compiled against scikit-learn on held-out and full data.
"""

from runtime.inference.compile import NotCompilable, compile_pipeline
from runtime.inference.format import FORMAT, InvalidArtifact, dumps, loads
from runtime.inference.model import CompiledModel
from runtime.inference.rows import RowError, RowSchema

__all__ = [
    "FORMAT",
    "CompiledModel",
    "InvalidArtifact",
    "NotCompilable",
    "RowError",
    "RowSchema",
    "compile_pipeline",
    "dumps",
    "loads",
]
