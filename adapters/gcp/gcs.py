"""BlobStore on a Cloud Storage bucket (google-cloud-storage).

- create_only is `if_generation_match=0`: GCS itself refuses the write (412) if any
  generation of the object exists, so two racing writers get exactly one success.
- SHA-256 is computed client-side from the bytes actually sent (GCS keeps MD5/CRC32C only).
- open() streams with the SDK's BlobReader (ranged GETs of OPEN_CHUNK_BYTES) rather than
  downloading to a spooled temp file: a large model artifact is neither held in memory nor
  copied to local disk before the first byte is read. The reader is pinned to the generation
  seen at open(), so an overwrite during the read cannot splice two versions together.
- A missing bucket is a `ConfigurationError`, as on S3 (adapters.errors). GCS answers 404
  for a missing key and a missing bucket alike (and the emulator's text differs from
  GCS's), so a 404 where a key may be missing costs one look at the bucket; a 404 on a
  write or a listing can only be the bucket.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from google.api_core import exceptions as gexc

from adapters.errors import NotFound
from adapters.gcp.clients import CALL_TIMEOUT_SECONDS
from adapters.gcp.errors import missing_resource, translated
from adapters.ports import BlobInfo, BlobStore, Page

if TYPE_CHECKING:
    import google.cloud.storage as storage

DEFAULT_CONTENT_TYPE = "application/octet-stream"
# Resumable uploads send chunks of this size (a multiple of 256 KiB, as GCS requires);
# uploads of known size up to 8 MiB go in one multipart request instead.
UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024
OPEN_CHUNK_BYTES = 8 * 1024 * 1024


def _retry() -> Any:
    """The SDK's retry (429, 5xx, connection errors), bounded like every other call.

    Passed to uploads too: the SDK retries an unconditional upload only on request, and
    here a replay stores the same bytes under the same key, which is harmless.
    """
    from google.cloud.storage.retry import DEFAULT_RETRY

    return DEFAULT_RETRY.with_timeout(CALL_TIMEOUT_SECONDS)


class GcsBlobStore(BlobStore):
    def __init__(self, client: storage.Client, bucket: str) -> None:
        self.client = client
        self.bucket = client.bucket(bucket)
        self._call: dict[str, Any] = {"retry": _retry(), "timeout": CALL_TIMEOUT_SECONDS}

    def _put(
        self, key: str, data: bytes | IO[bytes], *, create_only: bool, content_type: str | None
    ) -> BlobInfo:
        blob = self.bucket.blob(key, chunk_size=UPLOAD_CHUNK_BYTES)
        precondition: dict[str, Any] = {"if_generation_match": 0} if create_only else {}
        content_type = content_type or DEFAULT_CONTENT_TYPE
        with self._in_bucket(f"putting gs://{self.bucket.name}/{key}", key_may_be_missing=False):
            if isinstance(data, bytes | bytearray | memoryview):
                payload = bytes(data)
                blob.upload_from_string(
                    payload, content_type=content_type, **self._call, **precondition
                )
                return BlobInfo(key, len(payload), hashlib.sha256(payload).hexdigest())
            reader = _HashingReader(data)
            # A known size lets the SDK send small streams in one multipart request; an
            # unknown one (a pipe) goes as a resumable upload, chunk by chunk.
            blob.upload_from_file(
                reader,
                size=_remaining_size(data),
                content_type=content_type,
                **self._call,
                **precondition,
            )
            return BlobInfo(key, reader.position, reader.hexdigest())

    def _get(self, key: str) -> bytes:
        with self._in_bucket(f"getting gs://{self.bucket.name}/{key}"):
            content: bytes = self.bucket.blob(key).download_as_bytes(**self._call)
            return content

    def _open(self, key: str) -> IO[bytes]:
        action = f"opening gs://{self.bucket.name}/{key}"
        with self._in_bucket(action):
            blob = self.bucket.get_blob(key, **self._call)
            if blob is None:
                raise gexc.NotFound(f"no object {key!r}")
            reader = blob.open("rb", chunk_size=OPEN_CHUNK_BYTES, **self._call)
        return io.BufferedReader(_TranslatingReader(reader, action), buffer_size=64 * 1024)

    def _exists(self, key: str) -> bool:
        with translated(f"checking gs://{self.bucket.name}/{key}"):
            return bool(self.bucket.blob(key).exists(**self._call))

    def _list(self, prefix: str, page_size: int, page_token: str | None) -> Page[BlobInfo]:
        action = f"listing gs://{self.bucket.name}/{prefix}"
        with self._in_bucket(action, key_may_be_missing=False):
            iterator = self.client.list_blobs(
                self.bucket,
                prefix=prefix or None,
                max_results=page_size,
                page_token=page_token,
                **self._call,
            )
            page = next(iterator.pages, None)
            items = [BlobInfo(blob.name, int(blob.size or 0)) for blob in page or ()]
            return Page(items, iterator.next_page_token or None)

    def _delete(self, key: str) -> None:
        # Deleting a missing key is fine: idempotent, as the port promises.
        with (
            contextlib.suppress(NotFound),
            self._in_bucket(f"deleting gs://{self.bucket.name}/{key}"),
        ):
            self.bucket.blob(key).delete(**self._call)

    @contextlib.contextmanager
    def _in_bucket(self, action: str, *, key_may_be_missing: bool = True) -> Iterator[None]:
        """`translated(action)`, with a 404 that means the bucket is missing raised as a
        `ConfigurationError` (see the module's docstring)."""
        if not key_may_be_missing:
            with translated(action, only_the_resource_can_be_missing=True):
                yield
            return
        try:
            with translated(action):
                yield
        except NotFound as exc:
            with translated(f"checking gs://{self.bucket.name}"):
                bucket_exists = self.bucket.exists(**self._call)
            if bucket_exists:
                raise
            raise missing_resource(
                NotFound(f"{action}: bucket {self.bucket.name!r} does not exist")
            ) from exc


def _remaining_size(stream: IO[bytes]) -> int | None:
    """Bytes from the stream's position to its end, if it can tell without reading."""
    try:
        if not stream.seekable():
            return None
        position = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(position)
        return end - position
    except (AttributeError, OSError, ValueError):
        return None


class _HashingReader(io.RawIOBase):
    """Passes a stream through, hashing each byte once as the upload reads it.

    A resumable upload that retries a chunk seeks back and re-reads it; bytes below the
    high-water mark were hashed already and are not hashed again.
    """

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self._sha256 = hashlib.sha256()
        self._start = _tell(inner)
        self.position = 0  # relative to where the stream stood when handed to put()
        self._hashed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._start is not None and self._inner.seekable()

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if self._start is None or whence != os.SEEK_SET:
            raise io.UnsupportedOperation("only absolute seeks on a seekable source")
        self._inner.seek(self._start + offset)
        self.position = offset
        return offset

    def read(self, size: int | None = -1) -> bytes:
        chunk = self._inner.read(-1 if size is None else size) or b""
        end = self.position + len(chunk)
        if end > self._hashed:
            self._sha256.update(memoryview(chunk)[max(0, self._hashed - self.position) :])
            self._hashed = end
        self.position = end
        return chunk

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def hexdigest(self) -> str:
        return self._sha256.hexdigest()


def _tell(stream: IO[bytes]) -> int | None:
    try:
        return stream.tell() if stream.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


class _TranslatingReader(io.RawIOBase):
    """A BlobReader whose mid-stream failures surface as adapter errors."""

    def __init__(self, inner: IO[bytes], action: str) -> None:
        self._inner = inner
        self._action = action

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with translated(self._action):
            chunk = self._inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()
