import shutil

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from modgap.data import linelists as ll


def test_raman_activity_is_rotation_invariant_and_matches_isotropic_case():
    rng = np.random.default_rng(0)
    t = rng.normal(size=(4, 3, 3))
    t = 0.5 * (t + t.transpose(0, 2, 1))
    R = Rotation.random(random_state=1).as_matrix()
    rotated = np.einsum("ab,kbc,dc->kad", R, t, R)
    np.testing.assert_allclose(ll._raman_activity(t), ll._raman_activity(rotated), rtol=1e-10)
    # an isotropic derivative a·I has γ' = 0, so S = 45 a²
    np.testing.assert_allclose(ll._raman_activity(2.0 * np.eye(3)[None]), [45 * 4.0])


def test_co2_obeys_mutual_exclusion():
    pytest.importorskip("tblite")
    L = ll.compute_linelist("CO2")
    assert len(L.wavenumbers) == 4  # linear triatomic: 3N-5 modes
    ir, ra = L.ir / L.ir.max(), L.raman / L.raman.max()
    assert np.all(np.minimum(ir, ra) < 1e-3)
    bend, sym, asym = L.wavenumbers[0], L.wavenumbers[2], L.wavenumbers[3]
    assert bend < sym < asym
    assert ra[2] == pytest.approx(1.0) and ir[3] == pytest.approx(1.0)  # sym: Raman, asym: IR


def test_failures_are_reported_with_a_reason():
    with pytest.raises(RuntimeError, match="no bond-polarizability .* Cl"):
        ll.compute_linelist("HCl")
    with pytest.raises(RuntimeError, match="single atom"):
        ll.compute_linelist("H")


def test_shipped_cache_loads_and_a_corrupt_copy_is_refused(tmp_path):
    lines, failures, meta = ll.load_linelists(compute_if_missing=False)
    assert len(lines) >= 100 and "CO2" in lines and "HCl" in failures
    copy = tmp_path / "c.json"
    shutil.copy(ll.CACHE, copy)
    shutil.copy(str(ll.CACHE) + ".sha256", str(copy) + ".sha256")
    assert len(ll.load_linelists(copy)[0]) == len(lines)
    copy.write_text(copy.read_text().replace('"CO2"', '"CO3"'))
    with pytest.raises(ValueError, match="corrupt"):
        ll.load_linelists(copy)
    (tmp_path / "c.json.sha256").unlink()
    with pytest.raises(FileNotFoundError, match="checksum"):
        ll.load_linelists(copy)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ll.load_linelists(tmp_path / "none.json", compute_if_missing=False)


def test_cache_round_trip(tmp_path):
    L = ll.LineList("X", "X2", np.array([500.0, 1500.0]), np.array([1.0, 0.0]), np.array([0.0, 2.0]))
    path = ll.save_linelists({"X": L}, {"Y": "RuntimeError: why"}, tmp_path / "l.json")
    lines, failures, _ = ll.load_linelists(path)
    np.testing.assert_allclose(lines["X"].raman, [0.0, 2.0])
    assert failures == {"Y": "RuntimeError: why"}
