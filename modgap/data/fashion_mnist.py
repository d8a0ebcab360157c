"""Fashion-MNIST from IDX files: the shipped subset, Debian's copy, or a folder the user gives.

The IDX format (LeCun et al.): a big-endian header ``0x00 0x00 <dtype> <ndim>``, then ``ndim``
big-endian uint32 sizes, then the data. Files may be gzip-compressed (``.gz``).
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from modgap.paths import DATA_DIR

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
#: Where Debian's package ``dataset-fashion-mnist`` puts the full set.
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
#: A class-balanced subset that ships with the repository (MIT licence, like Fashion-MNIST).
SUBSET_DIR = DATA_DIR / "fashion-mnist-subset"

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into an array; corrupt files raise ``ValueError``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file {path} does not exist")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: cannot read ({exc}); the file looks corrupt or truncated") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() if raw else 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: header says shape {shape} ({expected} bytes) but the file holds "
                         f"{len(raw) - header} bytes of data; the file is truncated or corrupt")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape)


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write a uint8 array as a gzipped IDX file (used to make the shipped subset and test fixtures)."""
    from modgap.io import atomic_write

    array = np.ascontiguousarray(array, np.uint8)
    head = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = gzip.compress(head + array.tobytes(), mtime=0)
    return atomic_write(path, lambda fh: fh.write(payload), "wb")


def _find(root: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (root / name).is_file():
            return root / name
    raise FileNotFoundError(f"{root} has no {stem}[.gz]; expected the Fashion-MNIST IDX file names")


def load_fashion_mnist(root: str | Path | None = None, split: str = "train"):
    """Return ``(images uint8 (N, 28, 28), labels int64 (N,))``.

    ``root=None`` reads the subset shipped in ``data/`` (``split`` is then ignored: it is one set).
    Otherwise ``root`` is a folder with the standard file names (``train-images-idx3-ubyte[.gz]``,
    ``t10k-...``), e.g. :data:`DEBIAN_DIR`; ``split`` is ``"train"`` or ``"test"``.
    """
    if root is None:
        root, prefix = SUBSET_DIR, "subset"
    else:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        prefix = "train" if split == "train" else "t10k"
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Fashion-MNIST folder {root} does not exist")
    images = read_idx(_find(root, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(root, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{root}: images have shape {images.shape}, expected (N, 28, 28)")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"{root}: {images.shape[0]} images but labels of shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= len(CLASSES):
        raise ValueError(f"{root}: labels outside 0..{len(CLASSES) - 1}")
    return images, labels


def make_subset(source: str | Path = DEBIAN_DIR, per_class: int = 300, seed: int = 0,
                out: str | Path = SUBSET_DIR) -> Path:
    """Write a class-balanced subset of the test split (how ``data/fashion-mnist-subset`` was made)."""
    images, labels = load_fashion_mnist(source, "test")
    rng = np.random.default_rng(seed)
    idx = np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
                                  for c in range(len(CLASSES))]))
    out = Path(out)
    write_idx(out / "subset-images-idx3-ubyte.gz", images[idx])
    write_idx(out / "subset-labels-idx1-ubyte.gz", labels[idx].astype(np.uint8))
    return out
