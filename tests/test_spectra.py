import numpy as np
import pytest

from modgap.data import linelists as ll
from modgap.data.spectra import GRID, lorentzian_spectrum, simulate_pairs, split_by_measurement


def test_lorentzian_peak_height_and_half_width():
    grid = np.arange(900.0, 1100.0, 0.5)
    s = lorentzian_spectrum([1000.0], [2.0], grid, fwhm=10.0)
    assert s.max() == pytest.approx(2.0)
    assert grid[s.argmax()] == 1000.0
    assert s[grid == 1005.0][0] == pytest.approx(1.0)  # half maximum at ±fwhm/2


@pytest.fixture(scope="module")
def lines():
    return ll.load_linelists(compute_if_missing=False)[0]


def test_simulation_shapes_range_and_determinism(lines):
    names = ["CO2", "H2O", "C6H6"]
    a = simulate_pairs(lines, n_measurements=4, seed=1, names=names)
    b = simulate_pairs(lines, n_measurements=4, seed=1, names=names)
    c = simulate_pairs(lines, n_measurements=4, seed=2, names=names)
    assert a.raman.shape == a.ir.shape == (12, len(GRID))
    assert a.raman.min() >= 0 and a.raman.max() <= 1
    np.testing.assert_array_equal(a.raman, b.raman)
    assert not np.allclose(a.raman, c.raman)
    np.testing.assert_array_equal(a.identity, np.repeat([0, 1, 2], 4))


def test_measurements_keep_the_molecule(lines):
    """A measurement of CO2 peaks near CO2's strongest lines in each modality."""
    p = simulate_pairs(lines, n_measurements=3, seed=0, names=["CO2"])
    L = lines["CO2"]
    for spec, strength in ((p.raman, L.raman), (p.ir, L.ir)):
        peak = GRID[spec.argmax(1)]
        assert np.all(np.abs(peak - L.wavenumbers[strength.argmax()]) < 40)


def test_split_and_errors(lines):
    p = simulate_pairs(lines, n_measurements=5, seed=0, names=["CO2", "H2O"])
    tr, te = split_by_measurement(p, 3)
    assert len(tr) == 6 and len(te) == 4 and set(te.measurement) == {3, 4}
    with pytest.raises(ValueError, match="n_train"):
        split_by_measurement(p, 5)
    with pytest.raises(KeyError, match="HCl"):
        simulate_pairs(lines, names=["HCl"])
    with pytest.raises(ValueError, match="n_measurements"):
        simulate_pairs(lines, n_measurements=0)


def test_mutual_exclusion_on_known_molecules():
    pytest.importorskip("ase")
    from ase.collections import g2

    from modgap.data.linelists import load_linelists
    from modgap.data.selection_rules import active_in_both, is_centrosymmetric, mutual_exclusion_table

    assert is_centrosymmetric(g2["CO2"]) and is_centrosymmetric(g2["C6H6"]) and is_centrosymmetric(g2["N2"])
    assert not is_centrosymmetric(g2["H2O"]) and not is_centrosymmetric(g2["CO"]) and not is_centrosymmetric(g2["NH3"])

    class Lines:  # two modes: one only in IR, one in both
        ir, raman = np.array([1.0, 0.5]), np.array([0.0, 2.0])

    assert active_in_both(Lines, 1e-3, 1e-3) == 1
    assert active_in_both(Lines, ir_floor=10.0, raman_floor=1e-3) == 0  # an IR spectrum below the floor has no lines
    table = mutual_exclusion_table(load_linelists()[0])
    assert table.set_index("molecule").loc["CO2", "active_in_both"] == 0  # the textbook case
    assert table.set_index("molecule").loc["H2O", "active_in_both"] > 0
