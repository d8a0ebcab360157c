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


class UnreadableFile(ValueError):
    """A data file that cannot be read as what it should be; the message names the file and why."""


def readable_file(path: str | os.PathLike, what: str = "file") -> Path:
    """``path`` if it is a regular file that can be opened, else :class:`UnreadableFile` saying what it is instead:
    missing, a folder, a broken link or a link loop, or not readable."""
    p = Path(path)
    try:
        p.resolve(strict=True)
    except FileNotFoundError:
        if p.is_symlink():
            raise UnreadableFile(f"{p}: a broken symbolic link (it points to {os.readlink(p)}, which does not exist)") from None
        raise UnreadableFile(f"{p}: no such {what}") from None
    except (RuntimeError, OSError) as exc:  # ELOOP: a symlink loop (RuntimeError before Python 3.13)
        if isinstance(exc, OSError) and exc.errno not in (errno.ELOOP, None):
            raise UnreadableFile(f"{p}: cannot be opened ({exc.strerror})") from None
        raise UnreadableFile(f"{p}: a symbolic link loop, not a {what}") from None
    if p.is_dir():
        raise UnreadableFile(f"{p}: a folder, not a {what}")
    if not p.is_file():
        raise UnreadableFile(f"{p}: not a regular {what} (a device, pipe or socket)")
    if not os.access(p, os.R_OK):
        raise UnreadableFile(f"{p}: not readable (permission denied)")
    return p


def load_npy(path: str | os.PathLike, what: str = "NumPy .npy file"):
    """A ``.npy`` array read safely (never pickled Python objects, which could run code from the file), or
    :class:`UnreadableFile` naming the file and the problem. NumPy's own message for a pickled or non-NumPy file
    advises loading it "unsafely"; that advice is never passed on."""
    import numpy as np

    p = readable_file(path, what)
    with open(p, "rb") as fh:
        magic = fh.read(6)
    if magic != b"\x93NUMPY":
        raise UnreadableFile(f"{p}: not a NumPy .npy file (it does not start with the .npy header; a text or other "
                             "file renamed to .npy?)")
    try:
        return np.load(p, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise UnreadableFile(f"{p}: holds Python objects, not numbers; such files are never loaded here (loading "
                                 "them could run code from the file): save a numeric array instead") from None
        raise UnreadableFile(f"{p}: a damaged .npy file ({_first_line(exc)})") from None
    except (OSError, EOFError) as exc:
        raise UnreadableFile(f"{p}: a damaged or truncated .npy file ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.split(" If you trust")[0].split(" use `allow_pickle")[0]
