"""Writing results so that nothing half-written ever looks complete.

Every writer here writes to a temporary file in the destination folder and then renames it over
the target (``os.replace`` is atomic on POSIX), so an interrupted run leaves the old file or none.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: write errors a user can act on, and what to do about each
_WRITE_ERRNOS = {errno.ENOSPC: "the disk is full — free space and run again",
                 errno.EDQUOT: "the disk quota is exceeded — free space and run again",
                 errno.EROFS: "the file system is read-only — give a writable output folder",
                 errno.EACCES: "permission denied — give a folder you may write to"}


def atomic_write(path: str | os.PathLike, write: Callable[[Any], None], mode: str = "w") -> Path:
    """Call ``write(fh)`` on a temporary file next to ``path``, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
    try:
        with os.fdopen(fd, mode) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
            raise OSError(exc.errno, f"cannot write {path}: {_WRITE_ERRNOS[exc.errno]} ({os.strerror(exc.errno)}); "
                                     f"the previous {path.name}, if any, is unchanged") from exc
        raise
    return path


class file_lock:
    """``with file_lock(path):`` — an exclusive lock on ``<path>.lock`` (``fcntl.flock``) held for the block, so
    two processes that would write the same file (a checkpoint, a notebook's output folder) take turns instead of
    clobbering each other. The lock goes with the process: a killed holder leaves no stale lock behind. Where
    ``fcntl`` is missing (Windows) it does nothing."""

    def __init__(self, path: str | os.PathLike, what: str = ""):
        self.path = Path(str(path) + ".lock")
        self.what = what or str(path)
        self._fh = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Linux
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a+")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"[modgap] another process is writing {self.what}: waiting for it", flush=True)
            fcntl.flock(self._fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self._fh is not None:
            import fcntl

            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
        return False


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Atomically write ``obj`` as pretty JSON (NumPy scalars and arrays are converted)."""
    return atomic_write(path, lambda fh: json.dump(obj, fh, indent=2, default=_to_builtin))


def write_csv(path: str | os.PathLike, frame) -> Path:
    """Atomically write a pandas DataFrame as CSV (no index)."""
    return atomic_write(path, lambda fh: frame.to_csv(fh, index=False))


def save_figure(fig, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Atomically save a Matplotlib figure (format from the suffix, PNG by default)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    return atomic_write(path, lambda fh: fig.savefig(fh, format=fmt, dpi=dpi, bbox_inches="tight"), "wb")


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _to_builtin(obj: Any):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def save_results(out_dir: str | os.PathLike, rows: list[dict], **extra) -> Path:
    """Write a notebook's results: ``results.csv`` (one row per dict, tidy) and ``results.json``.

    ``extra`` keyword values (parameters, timings, versions) go into the JSON only.
    """
    import pandas as pd

    out_dir = Path(out_dir)
    if not rows:
        raise ValueError("save_results needs at least one row")
    write_csv(out_dir / "results.csv", pd.DataFrame(rows))
    write_json(out_dir / "results.json", {"rows": rows, **extra})
    return out_dir
