"""Vibrational line lists (IR and Raman) of small molecules, computed from physics.

For every molecule of ASE's bundled G2 collection we

1. optimise the geometry with the semi-empirical GFN2-xTB method (tblite);
2. build the Cartesian Hessian ``H_ij = ∂²E/∂x_i∂x_j`` by central differences of the forces
   (step ``δ``), and with the same displacements the derivatives of the dipole moment ``μ``
   (from GFN2-xTB) and of the polarizability ``α`` (ASE's bond-polarizability model,
   Lippincott–Stuttman);
3. diagonalise the mass-weighted Hessian ``M^{-1/2} H M^{-1/2} = V Λ Vᵀ``; the normal mode ``k``
   has wavenumber ``ν̃_k ∝ sqrt(λ_k)`` and Cartesian direction ``M^{-1/2} v_k``;
4. IR intensity  ``I_k = |∂μ/∂Q_k|²``  (dipole derivative along the mode);
   Raman activity (static Placzek) ``S_k = 45 a'_k² + 7 γ'_k²`` with
   ``a' = tr(α')/3`` and ``γ'² = ½[(α'xx-α'yy)² + (α'yy-α'zz)² + (α'zz-α'xx)²] + 3(α'xy² + α'yz² + α'zx²)``,
   ``α' = ∂α/∂Q_k``.

Selection rules come out of the physics: for CO₂ the antisymmetric stretch (≈2350 cm⁻¹) is
IR-active and Raman-silent, the symmetric stretch the other way round (mutual exclusion).

The result is cached in ``data/spectra/`` as JSON with a SHA-256 checksum, so a rerun is instant;
molecules that fail (open-shell species, optimisations that do not converge, saddle points) are
kept in the cache's ``failures`` with the reason.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from modgap.io import atomic_write, sha256_of
from modgap.paths import DATA_DIR

CACHE = DATA_DIR / "spectra" / "g2_gfn2xtb_linelists.json"


@dataclass
class LineList:
    """The vibrational lines of one molecule: wavenumbers (cm⁻¹) with IR and Raman strengths."""

    name: str
    formula: str
    wavenumbers: np.ndarray  # (K,) cm⁻¹, real modes only
    ir: np.ndarray  # (K,) |dμ/dQ|², (e²/amu)
    raman: np.ndarray  # (K,) Raman activity, (Å⁴/amu)


def _raman_activity(dalpha: np.ndarray) -> np.ndarray:
    """Static Placzek activity ``45 a'² + 7 γ'²`` for a stack of tensors ``(K, 3, 3)``."""
    a = np.trace(dalpha, axis1=1, axis2=2) / 3.0
    xx, yy, zz = dalpha[:, 0, 0], dalpha[:, 1, 1], dalpha[:, 2, 2]
    xy = 0.5 * (dalpha[:, 0, 1] + dalpha[:, 1, 0])
    yz = 0.5 * (dalpha[:, 1, 2] + dalpha[:, 2, 1])
    zx = 0.5 * (dalpha[:, 2, 0] + dalpha[:, 0, 2])
    gamma2 = 0.5 * ((xx - yy) ** 2 + (yy - zz) ** 2 + (zz - xx) ** 2) + 3.0 * (xy**2 + yz**2 + zx**2)
    return 45.0 * a**2 + 7.0 * gamma2


def compute_linelist(name: str, fmax: float = 1e-3, delta: float = 0.01, max_steps: int = 500) -> LineList:
    """Compute one molecule's IR and Raman line list with GFN2-xTB (see the module docstring).

    Raises ``RuntimeError`` with the reason when the molecule cannot be done honestly.
    """
    from ase import units
    from ase.build import molecule
    from ase.calculators.bond_polarizability import BondPolarizability
    from ase.optimize import BFGS
    from tblite.ase import TBLite

    atoms = molecule(name)
    if len(atoms) < 2:
        raise RuntimeError("a single atom has no vibrations")
    from ase.calculators.bond_polarizability import LippincottStuttman

    missing = sorted(set(atoms.get_chemical_symbols()) - set(LippincottStuttman.atomic_polarizability))
    if missing:
        raise RuntimeError(f"no bond-polarizability (Raman) parameters for element(s) {', '.join(missing)}")
    # radicals: G2 gives their unpaired electrons as initial magnetic moments
    unpaired = int(round(abs(atoms.get_initial_magnetic_moments().sum())))
    atoms.calc = TBLite(method="GFN2-xTB", multiplicity=unpaired + 1, verbosity=0)
    if not BFGS(atoms, logfile=None).run(fmax=fmax, steps=max_steps):
        raise RuntimeError(f"geometry optimisation did not converge in {max_steps} steps")

    bond_pol = BondPolarizability()
    pos0 = atoms.get_positions().copy()
    n3 = 3 * len(atoms)
    hessian = np.zeros((n3, n3))
    dmu = np.zeros((n3, 3))
    dalpha = np.zeros((n3, 3, 3))
    for i in range(n3):
        results = []
        for sign in (+1, -1):
            pos = pos0.copy()
            pos.flat[i] += sign * delta
            atoms.set_positions(pos)
            results.append(
                (atoms.get_forces().ravel(), atoms.get_dipole_moment(), bond_pol(atoms) * units.Bohr * units.Ha)
            )
        (fp, mp, ap), (fm, mm, am) = results
        hessian[i] = -(fp - fm) / (2 * delta)  # eV/Å²
        dmu[i] = (mp - mm) / (2 * delta)  # e (dipole in e·Å)
        dalpha[i] = (ap - am) / (2 * delta)  # Å² (α in Å³)
    atoms.set_positions(pos0)
    hessian = 0.5 * (hessian + hessian.T)

    inv_sqrt_m = np.repeat(atoms.get_masses() ** -0.5, 3)  # amu^-1/2
    lam, vecs = np.linalg.eigh(inv_sqrt_m[:, None] * hessian * inv_sqrt_m[None, :])
    # ħ·sqrt(λ) in eV, as ase.vibrations does, then to cm⁻¹
    s = units._hbar * 1e10 / np.sqrt(units._e * units._amu)
    wn = np.sign(lam) * s * np.sqrt(np.abs(lam)) / units.invcm

    n_rigid = 5 if _is_linear(atoms) else 6
    order = np.argsort(np.abs(wn))
    vib = np.sort(order[n_rigid:])
    if np.any(wn[vib] < -50.0):
        raise RuntimeError(f"saddle point: imaginary mode at {wn[vib].min():.0f}i cm⁻¹")
    modes = inv_sqrt_m[:, None] * vecs[:, vib]  # (3N, K) Cartesian displacement per unit Q
    ir = np.sum((modes.T @ dmu) ** 2, axis=1)
    raman = _raman_activity(np.einsum("ik,iab->kab", modes, dalpha))
    keep = wn[vib] > 0
    return LineList(name, atoms.get_chemical_formula(), wn[vib][keep], ir[keep], raman[keep])


def _is_linear(atoms) -> bool:
    pos = atoms.get_positions() - atoms.get_center_of_mass()
    if len(atoms) == 2:
        return True
    return np.linalg.svd(pos, compute_uv=False)[1] < 1e-3


def compute_all(names=None, progress: bool = True):
    """Compute line lists for ``names`` (default: the whole G2 collection); return (ok, failures)."""
    from ase.collections import g2

    names = list(g2.names if names is None else names)
    if progress:
        from tqdm.auto import tqdm

        names_iter = tqdm(names, desc="GFN2-xTB line lists")
    else:
        names_iter = names
    ok, failures = {}, {}
    for name in names_iter:
        try:
            ok[name] = compute_linelist(name)
        except Exception as exc:  # kept, listed, never hidden
            failures[name] = f"{type(exc).__name__}: {exc}"
    return ok, failures


def _checksum_path(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".sha256")


def save_linelists(ok: dict, failures: dict, path: Path = CACHE, meta: dict | None = None) -> Path:
    """Write the cache atomically, then its checksum file."""
    doc = {
        "meta": meta or {},
        "molecules": {
            n: {"formula": L.formula, "wavenumbers": L.wavenumbers.round(3).tolist(),
                "ir": L.ir.tolist(), "raman": L.raman.tolist()}
            for n, L in ok.items()
        },
        "failures": failures,
    }
    atomic_write(path, lambda fh: json.dump(doc, fh, indent=1))
    atomic_write(_checksum_path(path), lambda fh: fh.write(sha256_of(path) + "\n"))
    return path


def load_linelists(path: str | Path = CACHE, compute_if_missing: bool = True):
    """Load the cached line lists (computing and caching them first if absent).

    Returns ``(linelists: dict[name, LineList], failures: dict[name, reason], meta: dict)``.
    A cache whose checksum does not match is refused with an error that says how to rebuild it.
    """
    path = Path(path)
    if not path.exists():
        if not compute_if_missing:
            raise FileNotFoundError(f"line-list cache {path} does not exist")
        from importlib.metadata import version

        t0 = time.perf_counter()
        ok, failures = compute_all()
        meta = {"method": "GFN2-xTB (tblite) + bond polarizability (ASE)", "ase": version("ase"),
                "tblite": version("tblite"), "seconds": round(time.perf_counter() - t0, 1)}
        save_linelists(ok, failures, path, meta)
    check = _checksum_path(path)
    if not check.exists():
        raise FileNotFoundError(f"checksum file {check} is missing; delete {path} to recompute the cache")
    expected = check.read_text().split()[0] if check.read_text().strip() else ""
    actual = sha256_of(path)
    if actual != expected:
        raise ValueError(
            f"line-list cache {path} is corrupt (SHA-256 {actual[:12]}… does not match {expected[:12]}…); "
            "delete it and its .sha256 file to recompute"
        )
    doc = json.loads(path.read_text())
    lines = {
        n: LineList(n, d["formula"], np.asarray(d["wavenumbers"]), np.asarray(d["ir"]), np.asarray(d["raman"]))
        for n, d in doc["molecules"].items()
    }
    return lines, doc["failures"], doc.get("meta", {})
