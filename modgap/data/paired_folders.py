"""Loader for paired-modality image sets laid out as folders, as photo–sketch and visible–infrared
person re-identification sets are usually distributed (after you download and unpack them).

Layout::

    root/
      <modality_a>/<identity>/<image>.png|jpg|bmp
      <modality_b>/<identity>/<image>.png|jpg|bmp

e.g. ``root/photo/0001/a.jpg`` and ``root/sketch/0001/a.jpg``. Identities present in only one
modality are an error (the message lists them); every image is decoded, so a corrupt file is
reported by name.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}


@dataclass
class FolderPairs:
    images: dict  # modality -> (N_m, 1, H, W) float32 in [0, 1]
    identity: dict  # modality -> (N_m,) int (index into ``identities``)
    identities: list[str]
    files: dict  # modality -> list[Path]


def _read_image(path: Path, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = im.convert("L").resize((size[1], size[0]), Image.BILINEAR)
            return np.asarray(im, np.float32) / 255.0
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"{path}: cannot decode image ({exc}); the file is corrupt or not an image") from exc


def load_paired_folders(root: str | Path, modalities: tuple[str, str], size: tuple[int, int] = (64, 64)) -> FolderPairs:
    """Read both modality folders of ``root`` (grayscale, resized to ``size``)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset folder {root} does not exist")
    if len(modalities) != 2 or modalities[0] == modalities[1]:
        raise ValueError(f"modalities must be two different folder names, got {modalities!r}")
    per_mod = {}
    for m in modalities:
        d = root / m
        if not d.is_dir():
            found = sorted(p.name for p in root.iterdir() if p.is_dir())
            raise FileNotFoundError(f"{root} has no folder {m!r} (found: {found})")
        ids = {p.name: sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
               for p in sorted(d.iterdir()) if p.is_dir()}
        ids = {k: v for k, v in ids.items() if v}
        if not ids:
            raise FileNotFoundError(f"{d} has no identity folders with images ({sorted(IMAGE_SUFFIXES)})")
        per_mod[m] = ids
    a, b = (set(per_mod[m]) for m in modalities)
    if a != b:
        raise ValueError(
            f"{root}: identities differ between modalities: only in {modalities[0]!r}: {sorted(a - b)[:10]}, "
            f"only in {modalities[1]!r}: {sorted(b - a)[:10]}"
        )
    identities = sorted(a)
    index = {k: i for i, k in enumerate(identities)}
    images, identity, files = {}, {}, {}
    for m in modalities:
        fs = [(f, index[k]) for k in identities for f in per_mod[m][k]]
        images[m] = np.stack([_read_image(f, size) for f, _ in fs])[:, None]
        identity[m] = np.asarray([i for _, i in fs])
        files[m] = [f for f, _ in fs]
    return FolderPairs(images, identity, identities, files)
