"""The rule of mutual exclusion, checked on the computed line lists.

In a molecule with a centre of inversion every vibration is either symmetric (g) or antisymmetric (u)
under inversion; IR activity needs a change of the dipole (u), Raman activity a change of the
polarizability (g). So no vibration of a centrosymmetric molecule is active in both — the modality gap
in its purest form. Elsewhere a mode is usually active in both.

- ``is_centrosymmetric(atoms)``: every atom has a partner of the same element at the inverted position
  (about the centre of mass, within ``tol`` Å), in ASE's G2 geometry;
- ``active_in_both(line_list)``: how many modes are IR- *and* Raman-active, a mode counting as active
  when its intensity exceeds ``rel`` × the molecule's strongest line of that kind — and no mode counting
  as active in a modality whose strongest line is below ``floor`` (a homonuclear diatomic's IR intensity
  is numerically ~1e-10, not a line).
"""
from __future__ import annotations

import numpy as np


def is_centrosymmetric(atoms, tol: float = 1e-2) -> bool:
    p = atoms.get_positions() - atoms.get_center_of_mass()
    z = atoms.get_atomic_numbers()
    return len(atoms) > 1 and all(np.any((np.linalg.norm(p + pi, axis=1) < tol) & (z == zi)) for pi, zi in zip(p, z))


def active_in_both(line_list, ir_floor: float, raman_floor: float, rel: float = 0.01) -> int:
    """Number of modes of ``line_list`` (``.ir``, ``.raman`` per mode) active in IR and in Raman."""
    ir, raman = np.asarray(line_list.ir, float), np.asarray(line_list.raman, float)
    ir_on = ir > rel * ir.max() if ir.max() > ir_floor else np.zeros(len(ir), bool)
    raman_on = raman > rel * raman.max() if raman.max() > raman_floor else np.zeros(len(raman), bool)
    return int((ir_on & raman_on).sum())


def mutual_exclusion_table(line_lists: dict, rel: float = 0.01):
    """One row per molecule: centrosymmetric or not, number of modes, modes active in both. The floors are
    10⁻³ of the median strongest line over all molecules, for IR and Raman separately."""
    import pandas as pd
    from ase.collections import g2

    ir_floor = 1e-3 * np.median([L.ir.max() for L in line_lists.values()])
    raman_floor = 1e-3 * np.median([L.raman.max() for L in line_lists.values()])
    return pd.DataFrame([{"molecule": n, "centrosymmetric": is_centrosymmetric(g2[n]), "modes": len(L.ir),
                          "active_in_both": active_in_both(L, ir_floor, raman_floor, rel)}
                         for n, L in sorted(line_lists.items())])
