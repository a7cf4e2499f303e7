"""BlobStore on an S3 bucket.

create-only is S3's own conditional write (`PutObject` with `IfNoneMatch='*'`), so two
racing writers get exactly one success. The SHA-256 is computed here while reading the
input and also sent as `ChecksumSHA256`, so S3 rejects a body that was corrupted on the way.

A file-object input is spooled (to memory up to 8 MiB, then to a temporary file) while it
is hashed, then sent with one PutObject: the checksum header must be known before the body
is sent, and boto3's managed multipart upload (`upload_fileobj`) cannot carry IfNoneMatch on
every path. One PutObject caps a blob at 5 GB, far above what this PoC stores.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import tempfile
from typing import IO, Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from adapters.aws.errors import error_code, translate_error, translated
from adapters.ports import BlobInfo, BlobStore, Page

SPOOL_MAX_MEMORY_BYTES = 8 * 1024 * 1024
READ_CHUNK_BYTES = 1024 * 1024
_NOT_FOUND = ("NoSuchKey", "404")
# 409 ConditionalRequestConflict: another conditional write to the key is in flight.
_CREATE_CONFLICT = ("PreconditionFailed", "412", "ConditionalRequestConflict")


class _HashingReader:
    """Wraps a stream; hashes and counts what is read through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


class S3BlobStore(BlobStore):
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def _put(
        self, key: str, data: bytes | IO[bytes], *, create_only: bool, content_type: str | None
    ) -> BlobInfo:
        extra: dict[str, Any] = {}
        if create_only:
            extra["IfNoneMatch"] = "*"
        if content_type:
            extra["ContentType"] = content_type
        if isinstance(data, bytes | bytearray | memoryview):
            body = bytes(data)
            digest = hashlib.sha256(body).digest()
            return self._put_object(key, body, len(body), digest, extra)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_MEMORY_BYTES) as spool:
            reader = _HashingReader(data)
            shutil.copyfileobj(reader, spool, READ_CHUNK_BYTES)
            spool.seek(0)
            return self._put_object(key, spool, reader.size, reader.digest.digest(), extra)

    def _put_object(
        self, key: str, body: Any, size: int, digest: bytes, extra: dict[str, Any]
    ) -> BlobInfo:
        with translated(f"put s3://{self.bucket}/{key}", conflict=_CREATE_CONFLICT):
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentLength=size,
                ChecksumSHA256=base64.b64encode(digest).decode("ascii"),
                **extra,
            )
        return BlobInfo(key=key, size=size, sha256=digest.hex())

    def _get(self, key: str) -> bytes:
        with self._open(key) as stream, translated(f"read s3://{self.bucket}/{key}"):
            return stream.read()

    def _open(self, key: str) -> IO[bytes]:
        with translated(f"get s3://{self.bucket}/{key}", not_found=_NOT_FOUND):
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        # botocore's StreamingBody is an io.IOBase: readable, iterable, a context manager.
        return cast(IO[bytes], response["Body"])

    def _exists(self, key: str) -> bool:
        action = f"head s3://{self.bucket}/{key}"
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in _NOT_FOUND:
                return False
            raise translate_error(exc, action) from exc
        except BotoCoreError as exc:
            raise translate_error(exc, action) from exc
        return True

    def _list(self, prefix: str, page_size: int, page_token: str | None) -> Page[BlobInfo]:
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": page_size}
        if page_token:
            request["ContinuationToken"] = page_token
        with translated(f"list s3://{self.bucket}/{prefix}"):
            response = self.client.list_objects_v2(**request)
        items = [
            BlobInfo(key=entry["Key"], size=int(entry["Size"]))
            for entry in response.get("Contents", [])
        ]
        next_token = response.get("NextContinuationToken") if response.get("IsTruncated") else None
        return Page(items=items, next_token=next_token)

    def _delete(self, key: str) -> None:
        # S3's DeleteObject already succeeds on a missing key.
        with translated(f"delete s3://{self.bucket}/{key}"):
            self.client.delete_object(Bucket=self.bucket, Key=key)
