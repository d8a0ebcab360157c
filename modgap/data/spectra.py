"""From line lists to noisy measured spectra: a paired Raman–infrared identification task.

A molecule's line list (``linelists.py``) is broadened onto a fixed wavenumber grid with
Lorentzians,

    s(ν̃) = Σ_k  I_k · (γ/2)² / ((ν̃ − c·ν̃_k − δ)² + (γ/2)²),

and every *measurement* draws its own instrument: calibration scale ``c`` and shift ``δ``, line
width ``γ``, per-line intensity jitter, a baseline (a broad fluorescence background for Raman, a
gentle slope for IR) and white noise. Spectra are min–max scaled to [0, 1].

OUR ASSUMPTIONS (no paired Raman–IR measurement set is public): the noise levels below are chosen
so that Raman→IR matching is a real identification problem, not a lookup. xTB wavenumbers are not
scaled to experiment (GFN2-xTB overestimates stretches by a few per cent).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from modgap.data.linelists import LineList

#: Default wavenumber grid, 400–4000 cm⁻¹ in 4 cm⁻¹ steps (901 points).
GRID = np.arange(400.0, 4000.0 + 1e-9, 4.0)


def lorentzian_spectrum(wavenumbers, intensities, grid=GRID, fwhm: float = 12.0) -> np.ndarray:
    """Sum of Lorentzians of full width ``fwhm`` (cm⁻¹) and peak height ``I_k`` on ``grid``."""
    wn = np.asarray(wavenumbers, float)[:, None]  # (K, 1)
    hw2 = (0.5 * fwhm) ** 2
    return (np.asarray(intensities, float)[:, None] * hw2 / ((grid[None, :] - wn) ** 2 + hw2)).sum(0)


@dataclass
class MeasurementModel:
    """How one simulated instrument differs from the next (all choices are our assumptions)."""

    fwhm: tuple[float, float] = (8.0, 20.0)  # line width range, cm⁻¹
    shift_sd: float = 4.0  # calibration offset, cm⁻¹
    scale_sd: float = 0.004  # calibration scale
    line_jitter_sd: float = 0.25  # log-normal per-line intensity jitter
    noise_sd: tuple[float, float] = (0.01, 0.04)  # white noise, fraction of the strongest peak
    baseline: float = 0.3  # baseline amplitude (fraction of the strongest peak)
    fluorescence: bool = False  # Raman: broad decaying background; IR: a slope

    def measure(self, line: np.ndarray, strength: np.ndarray, grid: np.ndarray, rng) -> np.ndarray:
        c = 1.0 + rng.normal(0.0, self.scale_sd)
        d = rng.normal(0.0, self.shift_sd)
        jitter = np.exp(rng.normal(0.0, self.line_jitter_sd, size=len(strength)))
        s = lorentzian_spectrum(c * line + d, strength * jitter, grid, rng.uniform(*self.fwhm))
        s = s / max(s.max(), 1e-12)
        x = (grid - grid[0]) / (grid[-1] - grid[0])  # 0..1
        amp = self.baseline * rng.uniform(0.2, 1.0)
        if self.fluorescence:  # broad background, strongest at low wavenumbers for red lasers
            base = amp * np.exp(-x / rng.uniform(0.2, 0.8)) + 0.5 * amp * rng.uniform() * x
        else:
            base = amp * 0.3 * (rng.uniform(-1, 1) * x + rng.uniform())
        s = s + base + rng.normal(0.0, rng.uniform(*self.noise_sd), size=grid.shape)
        return (s - s.min()) / (s.max() - s.min())


RAMAN_MODEL = MeasurementModel(fluorescence=True, fwhm=(6.0, 14.0))
IR_MODEL = MeasurementModel(fluorescence=False, fwhm=(12.0, 28.0))


@dataclass
class PairedSpectra:
    """Raman and IR measurements of the same molecules.

    ``raman[i]`` and ``ir[i]`` are measurement ``measurement[i]`` of molecule ``identity[i]``
    (independent instruments, so the pair shares only the molecule).
    """

    raman: np.ndarray  # (N, L) float32
    ir: np.ndarray  # (N, L) float32
    identity: np.ndarray  # (N,) int, index into ``names``
    measurement: np.ndarray  # (N,) int, 0..n_measurements-1
    names: list[str]
    grid: np.ndarray  # (L,) cm⁻¹
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.identity)

    def subset(self, mask) -> "PairedSpectra":
        return PairedSpectra(self.raman[mask], self.ir[mask], self.identity[mask],
                             self.measurement[mask], self.names, self.grid, self.meta)


def simulate_pairs(linelists: dict[str, LineList], n_measurements: int = 10, seed: int = 0,
                   grid: np.ndarray = GRID, raman_model: MeasurementModel = RAMAN_MODEL,
                   ir_model: MeasurementModel = IR_MODEL, names=None) -> PairedSpectra:
    """Simulate ``n_measurements`` Raman and IR measurements per molecule (deterministic in ``seed``)."""
    if n_measurements < 1:
        raise ValueError(f"n_measurements must be ≥ 1, got {n_measurements}")
    names = sorted(linelists) if names is None else list(names)
    missing = [n for n in names if n not in linelists]
    if missing:
        raise KeyError(f"no line list for molecule(s) {missing}")
    if not names:
        raise ValueError("no molecules to simulate")
    rng = np.random.default_rng(seed)
    raman, ir, ident, meas = [], [], [], []
    for i, n in enumerate(names):
        L = linelists[n]
        for m in range(n_measurements):
            raman.append(raman_model.measure(L.wavenumbers, L.raman, grid, rng))
            ir.append(ir_model.measure(L.wavenumbers, L.ir, grid, rng))
            ident.append(i)
            meas.append(m)
    return PairedSpectra(np.asarray(raman, np.float32), np.asarray(ir, np.float32), np.asarray(ident),
                         np.asarray(meas), names, grid, {"seed": seed, "n_measurements": n_measurements})


def split_by_measurement(pairs: PairedSpectra, n_train: int):
    """Split so that every molecule has ``n_train`` measurements for training and the rest for test.

    At test time the IR measurements form the gallery and the Raman measurements the probes:
    a probe is identified when its nearest gallery spectrum is of the same molecule.
    """
    n_meas = int(pairs.measurement.max()) + 1
    if not 1 <= n_train < n_meas:
        raise ValueError(f"n_train must be in [1, {n_meas - 1}] for {n_meas} measurements, got {n_train}")
    train = pairs.measurement < n_train
    return pairs.subset(train), pairs.subset(~train)
