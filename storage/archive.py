"""Raw report bytes on disk, named by their sha256, written so a crash never leaves a
truncated file under a final name (temp file in the same directory, fsync, rename, fsync
the directory). Scrapy's FilesPipeline writes in place and names by URL, so we don't use it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_TEMP_PREFIX = ".part-"


class Archive:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 digest: {sha256!r}")
        return self.root / sha256[:2] / f"{sha256}.pdf"

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def write(self, data: bytes) -> str:
        """Store ``data`` under its digest (idempotent); returns the digest."""
        digest = hashlib.sha256(data).hexdigest()
        final = self.path_for(digest)
        if final.is_file():
            return digest
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)
        return digest

    def clean_stale(self) -> int:
        """Remove temp files a killed writer left behind; returns how many."""
        removed = 0
        if self.root.is_dir():
            for temp in self.root.glob(f"*/{_TEMP_PREFIX}*"):
                temp.unlink(missing_ok=True)
                removed += 1
        return removed

    def verify(self, sha256: str) -> bool:
        """True when the stored file's bytes still hash to its name."""
        path = self.path_for(sha256)
        return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
