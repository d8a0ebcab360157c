"""Data builders. Everything here works offline: computed, shipped in ``data/``, or read from a path you give.

- ``linelists`` / ``spectra``: Raman–IR spectra computed with GFN2-xTB, noisy measurements, splits;
- ``fashion_mnist`` / ``modalities``: images and their sketch / thermal / NIR renderings;
- ``real_spectra``: measured Raman (ramanbiolib) and FTIR (collagen.csv) spectra;
- ``rruff`` / ``paired_folders``: loaders for real public datasets you download yourself.
"""
from modgap.data.fashion_mnist import CLASSES, load_fashion_mnist
from modgap.data.linelists import LineList, load_linelists
from modgap.data.modalities import IMAGE_PAIRINGS, PairedImages, make_image_pairs
from modgap.data.spectra import GRID, PairedSpectra, simulate_pairs, split_by_measurement

__all__ = ["CLASSES", "load_fashion_mnist", "LineList", "load_linelists", "IMAGE_PAIRINGS", "PairedImages",
           "make_image_pairs", "GRID", "PairedSpectra", "simulate_pairs", "split_by_measurement"]
