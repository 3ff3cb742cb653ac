"""A full disk said first: ``DiskFull``'s message begins "no space left on device" and names the path and the space
left on its file system, instead of whatever a library's clean-up reports after the write failed."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

# How a write that found no space reads: the OS's ENOSPC text (DuckDB quotes it) and SQLite's SQLITE_FULL.
NO_SPACE_TEXTS = ("no space left on device", "database or disk is full")


class DiskFull(OSError):
    """A write failed for lack of space (errno ENOSPC): "no space left on device (<size> free on <mount>): <what>"."""

    def __init__(self, what: str, path: str | Path) -> None:
        super().__init__(f"no space left on device ({free_space(path)}): {what}")
        self.errno = errno.ENOSPC


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error``, or an error it was raised from or while handling, says the disk was full."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if (isinstance(found, OSError) and found.errno == errno.ENOSPC) or any(
            text in str(found).lower() for text in NO_SPACE_TEXTS
        ):
            return True
        found = found.__cause__ or found.__context__
    return False


def free_space(path: str | Path) -> str:
    """``"<size> free on <mount point>"`` for the file system holding ``path`` (or its nearest existing parent)."""
    mount = _existing(path)
    while not os.path.ismount(mount):
        mount = mount.parent
    return f"{_size(free_bytes(path))} free on {mount}"


def free_bytes(path: str | Path) -> int:
    """The bytes this user may still write on the file system holding ``path`` (or its nearest existing parent)."""
    return shutil.disk_usage(_existing(path)).free


def _existing(path: str | Path) -> Path:
    folder = Path(path).absolute()
    while not folder.exists():
        folder = folder.parent
    return folder


def _size(count: int) -> str:
    power = min((count.bit_length() - 1) // 10, 4) if count else 0
    return (
        f"{count} bytes"
        if power == 0
        else f"{count / 1024**power:.1f} {('KiB', 'MiB', 'GiB', 'TiB')[power - 1]}"
    )
