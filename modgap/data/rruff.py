"""Loader for RRUFF spectra (Raman and infrared text files of minerals) from a folder on disk.

An RRUFF file is plain text: header lines ``##KEY=value`` (``##NAMES=Quartz``, ``##RRUFFID=R040031``),
then one ``wavenumber, intensity`` pair per line, then ``##END=``. Download the archives you need
from the RRUFF project yourself and unpack them into a folder; nothing is fetched here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class RruffSpectrum:
    name: str
    rruff_id: str
    wavenumbers: np.ndarray  # (L,) ascending
    intensity: np.ndarray  # (L,)
    path: Path


def read_rruff_file(path: str | Path) -> RruffSpectrum:
    """Parse one RRUFF text file; a malformed line raises ``ValueError`` naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"RRUFF file {path} does not exist")
    header, xs, ys = {}, [], []
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a text file ({exc})") from exc
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("##"):
            key, _, value = line[2:].partition("=")
            if key.strip().upper() == "END":
                break
            header[key.strip().upper()] = value.strip()
            continue
        parts = line.replace(",", " ").split()
        if len(parts) != 2:
            raise ValueError(f"{path}:{lineno}: expected 'wavenumber, intensity', got {line!r}")
        try:
            x, y = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValueError(f"{path}:{lineno}: not numbers: {line!r}") from None
        if not (np.isfinite(x) and np.isfinite(y)):
            raise ValueError(f"{path}:{lineno}: not a finite number (NaN or infinity): {line!r}")
        xs.append(x)
        ys.append(y)
    if len(xs) < 2:
        raise ValueError(f"{path}: fewer than two data points; the file is empty or truncated")
    x, y = np.asarray(xs), np.asarray(ys)
    order = np.argsort(x)
    return RruffSpectrum(header.get("NAMES", path.stem), header.get("RRUFFID", ""), x[order], y[order], path)


def load_rruff_folder(root: str | Path, grid: np.ndarray, pattern: str = "*.txt"):
    """Read every RRUFF file under ``root`` and resample onto ``grid``.

    Returns ``(X (N, len(grid)) float32 min–max scaled, names list, ids list)``. Spectra that do not
    cover the grid are zero outside their measured range.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"RRUFF folder {root} does not exist")
    files = sorted(root.rglob(pattern))
    if not files:
        raise FileNotFoundError(f"no RRUFF files matching {pattern!r} under {root}")
    X, names, ids = [], [], []
    for f in files:
        s = read_rruff_file(f)
        v = np.interp(grid, s.wavenumbers, s.intensity, left=0.0, right=0.0)
        rng = v.max() - v.min()
        X.append((v - v.min()) / rng if rng > 0 else v)
        names.append(s.name)
        ids.append(s.rruff_id)
    return np.asarray(X, np.float32), names, ids
