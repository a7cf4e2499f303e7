"""BlobStore on a directory: one file per key, written atomically.

Layout: key "a/b/c" is the file `a.d/b.d/c.blob` under the root. The suffixes keep the
names of files and directories apart, so "a" and "a/b" can both exist, as on S3 and GCS.
A write goes to a temporary file in the target's directory, is fsynced, then renamed
(`os.replace`) or, for create-only, hard-linked (`os.link` fails if the name exists, in one
atomic step that holds across processes). Readers never see a partial file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from adapters.errors import Conflict, NotFound
from adapters.local.files import PRIVATE_DIR, PRIVATE_FILE, private_dir
from adapters.ports import BlobInfo, BlobStore, Page

FILE_SUFFIX = ".blob"
DIR_SUFFIX = ".d"
TEMP_PREFIX = ".tmp-"
CHUNK_BYTES = 1024 * 1024
# A file name is at most 255 bytes on common filesystems; the suffix takes some of it.
MAX_SEGMENT_BYTES = 255 - len(FILE_SUFFIX)


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        private_dir(self.root)

    # ------------------------------------------------------------------ paths

    def _path(self, key: str) -> Path:
        segments = key.split("/")
        for segment in segments:
            if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
                raise ValueError(
                    f"local blob keys allow at most {MAX_SEGMENT_BYTES} bytes between '/': {key!r}"
                )
        dirs = [segment + DIR_SUFFIX for segment in segments[:-1]]
        return self.root.joinpath(*dirs, segments[-1] + FILE_SUFFIX)

    def _private_parents(self, directory: Path) -> None:
        """The key's directories, each created 0700 (mkdir's mode; the umask only removes
        bits, and 0700 has none it would remove for the owner)."""
        missing = []
        while directory != self.root and not directory.exists():
            missing.append(directory)
            directory = directory.parent
        for path in reversed(missing):
            with contextlib.suppress(FileExistsError):
                path.mkdir(mode=PRIVATE_DIR)

    # ------------------------------------------------------------------ writes

    def _put(
        self, key: str, data: bytes | IO[bytes], *, create_only: bool, content_type: str | None
    ) -> BlobInfo:
        # content_type is not kept locally: nothing reads it back through the port.
        path = self._path(key)
        self._private_parents(path.parent)
        temp = path.parent / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        try:
            # 0600 from the start (mkstemp's mode): the bytes are never readable by others.
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
            with os.fdopen(fd, "wb") as out:
                size, digest = _copy(data, out)
                out.flush()
                os.fsync(out.fileno())
            if create_only:
                try:
                    os.link(temp, path)
                except FileExistsError:
                    raise Conflict(f"blob {key!r} already exists") from None
            else:
                os.replace(temp, path)
            _fsync_dir(path.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        return BlobInfo(key=key, size=size, sha256=digest)

    def _delete(self, key: str) -> None:
        # Empty directories stay: removing them would race with a concurrent put below them.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(key))

    # ------------------------------------------------------------------ reads

    def _get(self, key: str) -> bytes:
        with self._open(key) as stream:
            return stream.read()

    def _open(self, key: str) -> IO[bytes]:
        path = self._path(key)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise NotFound(f"blob {key!r} not found") from None

    def _exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _list(self, prefix: str, page_size: int, page_token: str | None) -> Page[BlobInfo]:
        # The token is the last key returned; the walk resumes after it.
        after = page_token or ""
        items: list[BlobInfo] = []
        for key, path in self._walk_prefix(prefix, after):
            try:
                size = path.stat().st_size
            except FileNotFoundError:  # deleted while we listed
                continue
            if len(items) == page_size:
                return Page(items, next_token=items[-1].key)
            items.append(BlobInfo(key=key, size=size))
        return Page(items, next_token=None)

    def _walk_prefix(self, prefix: str, after: str) -> Iterator[tuple[str, Path]]:
        """(key, path) of every blob whose key starts with `prefix` and sorts after `after`."""
        *dir_segments, _ = prefix.split("/")
        directory = self.root.joinpath(*(s + DIR_SUFFIX for s in dir_segments))
        base = "".join(s + "/" for s in dir_segments)
        for key, path in _walk(directory, base, after, prefix):
            if not key.startswith(prefix):
                return  # keys with the prefix are contiguous in sorted order
            yield key, path


def _walk(directory: Path, base: str, after: str, lowest: str) -> Iterator[tuple[str, Path]]:
    """Blobs below `directory` (whose keys start with `base`) in lexicographic key order,
    from the first key that is > `after` and >= `lowest`.

    Entry "s" (a file) sorts as "s" and entry "s/..." (a directory) as "s/": a key without
    '/' can never fall between two keys that share the prefix "s/", so visiting entries in
    that order visits keys in order.
    """
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return
    entries: list[tuple[str, bool]] = []  # (key relative to base, is_dir)
    for name in names:
        if name.endswith(FILE_SUFFIX):  # temp files (".tmp-<hex>") never do
            entries.append((name[: -len(FILE_SUFFIX)], False))
        elif name.endswith(DIR_SUFFIX):
            entries.append((name[: -len(DIR_SUFFIX)] + "/", True))
    for relative, is_dir in sorted(entries):
        key = base + relative
        if is_dir:
            # Skip a whole directory when every key in it sorts before a bound.
            if _all_before(key, after) or _all_before(key, lowest):
                continue
            yield from _walk(directory / (relative[:-1] + DIR_SUFFIX), key, after, lowest)
        elif key > after and key >= lowest:
            yield key, directory / (relative + FILE_SUFFIX)


def _all_before(dir_key: str, bound: str) -> bool:
    """Whether every key starting with `dir_key` ("s/") sorts before `bound`."""
    return dir_key < bound and not bound.startswith(dir_key)


def _copy(data: bytes | IO[bytes], out: IO[bytes]) -> tuple[int, str]:
    """Write `data` to `out` in chunks, hashing as it goes; (size, sha256 hex)."""
    digest = hashlib.sha256()
    if isinstance(data, bytes | bytearray | memoryview):
        chunk = bytes(data)
        digest.update(chunk)
        out.write(chunk)
        return len(chunk), digest.hexdigest()
    if not hasattr(data, "read"):
        raise TypeError(f"blob data must be bytes or a binary file object, not {type(data)}")
    size = 0
    while True:
        chunk = data.read(CHUNK_BYTES)
        if not chunk:
            break
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise TypeError("blob stream must be opened in binary mode (read() gave text)")
        digest.update(chunk)
        out.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _fsync_dir(directory: Path) -> None:
    """Make the rename or link itself durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
