"""A model version leaving mlpoc: one zip with the version's artifact (checked against its
registered SHA-256 first), its compiled artifact if it has one, its model card if it
carries one, and its record (metrics, parameters, input schema, training data) as JSON, with
a SHA256SUMS file and a README saying how to load them elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from runtime import artifacts
from runtime.registry import ModelVersion, Registry

IN_MEMORY_BYTES = 8 * 1024 * 1024  # a larger export spills to a temporary file
CHUNK_BYTES = 1024 * 1024
COMPILED_FILE = "compiled.mlpoc"
CARD_FILE = "card.json"
VERSION_FILE = "version.json"
README = """\
{model} version {version}, exported from mlpoc.

{artifact}  the fitted model ({format}; trainer {trainer})
{compiled}version.json  the version's record: metrics, parameters, input schema, the data it
                        was trained on (its snapshot's key and SHA-256)
{card}SHA256SUMS   the SHA-256 of each file (check with `sha256sum -c SHA256SUMS`)

A skops artifact loads with `skops.io.load(path, trusted=[...])`: trust only the types
mlpoc's allow-list trusts (runtime/artifacts.py, TRUSTED_TYPES), never whatever
`skops.io.get_untrusted_types` reports. The default trainer's model is a scikit-learn
Pipeline: give it a pandas DataFrame with the input schema's feature columns, numeric
ones as floats and categorical ones as strings (NaN for missing), as
runtime.trainers.tabular does.
"""


def exported(registry: Registry, model: str, version: int) -> tuple[str, Iterator[bytes]]:
    """The zip's file name and its bytes in chunks. The zip is built before this returns,
    so a missing version or a failed checksum is raised here, not in mid-download."""
    out = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115 (below)
    try:
        filename = export_version(registry, model, version, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)

    def chunks() -> Iterator[bytes]:
        with out:  # closed (and any spill file removed) once read, or when dropped
            while chunk := out.read(CHUNK_BYTES):
                yield chunk

    return filename, chunks()


def export_version(registry: Registry, model: str, version: int, out: IO[bytes]) -> str:
    """Write version `version` of `model` as a zip into `out`; the zip's file name.
    NotFound for an unknown version; ArtifactRejected if a stored artifact fails its
    checksum."""
    found = registry.get_version(model, version)
    blobs = registry.adapters.blobs
    art = found.artifact
    files: dict[str, bytes] = {_artifact_name(found): artifacts.fetch(blobs, art.key, art.sha256)}
    compiled = found.serving.get("compiled")
    if isinstance(compiled, dict) and compiled.get("key"):
        files[COMPILED_FILE] = artifacts.fetch(blobs, compiled["key"], compiled["sha256"])
    card = found.data.get("card")
    if card is not None:
        files[CARD_FILE] = _json(card)
    files[VERSION_FILE] = _json(found.to_json())
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items()
    ).encode()
    files["README.txt"] = _readme(found, files).encode()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return f"{model}-v{version}.zip"


def _artifact_name(version: ModelVersion) -> str:
    fmt = re.sub(r"[^A-Za-z0-9]+", "-", str(version.data.get("format") or "bin")).strip("-")
    return f"model.{fmt or 'bin'}"


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def _readme(version: ModelVersion, files: dict[str, bytes]) -> str:
    artifact = _artifact_name(version)
    return README.format(
        model=version.model,
        version=version.version,
        artifact=artifact.ljust(12),
        format=version.data.get("format"),
        trainer=version.data.get("trainer"),
        compiled=(
            f"{COMPILED_FILE}  the same model compiled for mlpoc's fast path (JSON header and "
            "raw arrays, runtime/inference/format.py)\n"
            if COMPILED_FILE in files
            else ""
        ),
        card=(f"{CARD_FILE}    the model card\n" if CARD_FILE in files else ""),
    )
