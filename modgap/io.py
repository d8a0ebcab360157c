"""Writing results so that nothing half-written ever looks complete.

Every writer here writes to a temporary file in the destination folder and then renames it over
the target (``os.replace`` is atomic on POSIX), so an interrupted run leaves the old file or none.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable


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
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


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
