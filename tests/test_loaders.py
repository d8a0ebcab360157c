import numpy as np
import pytest
from PIL import Image

from modgap.data.paired_folders import load_paired_folders
from modgap.data.real_spectra import SHARED_CLASSES, load_collagen_ftir, load_ramanbiolib
from modgap.data.rruff import load_rruff_folder, read_rruff_file

RRUFF = """##NAMES=Quartz
##RRUFFID=R040031
##LOCALITY=somewhere
200.0, 10.0
{mid}
300.0, 30.0
##END=
"""


def test_rruff_file_and_folder(tmp_path):
    (tmp_path / "q.txt").write_text(RRUFF.format(mid="250.0, 20.0"))
    s = read_rruff_file(tmp_path / "q.txt")
    assert (s.name, s.rruff_id) == ("Quartz", "R040031")
    np.testing.assert_allclose(s.intensity, [10, 20, 30])
    X, names, ids = load_rruff_folder(tmp_path, grid=np.array([200.0, 225.0, 300.0, 400.0]))
    # 225 interpolates to 15; 400 lies outside the measured range (0); then min-max scaling
    np.testing.assert_allclose(X[0], np.array([10.0, 15.0, 30.0, 0.0]) / 30.0, rtol=1e-6)
    assert names == ["Quartz"]


def test_rruff_errors_name_file_and_line(tmp_path):
    (tmp_path / "bad.txt").write_text(RRUFF.format(mid="250.0; twenty"))
    with pytest.raises(ValueError, match=r"bad\.txt:5"):
        read_rruff_file(tmp_path / "bad.txt")
    (tmp_path / "empty.txt").write_text("##NAMES=x\n##END=\n")
    with pytest.raises(ValueError, match="fewer than two"):
        read_rruff_file(tmp_path / "empty.txt")
    (tmp_path / "sub").mkdir()
    with pytest.raises(FileNotFoundError, match="no RRUFF files"):
        load_rruff_folder(tmp_path / "sub", np.arange(3.0))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_rruff_folder(tmp_path / "missing", np.arange(3.0))


def _png(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((10, 12), value, np.uint8)).save(path)


def test_paired_folders(tmp_path):
    for m, v in (("photo", 200), ("sketch", 50)):
        for ident in ("001", "002"):
            _png(tmp_path / m / ident / "a.png", v)
    _png(tmp_path / "photo" / "002" / "b.png", 100)
    fp = load_paired_folders(tmp_path, ("photo", "sketch"), size=(8, 8))
    assert fp.images["photo"].shape == (3, 1, 8, 8) and fp.images["sketch"].shape == (2, 1, 8, 8)
    assert fp.identity["photo"].tolist() == [0, 1, 1] and fp.identities == ["001", "002"]
    assert fp.images["sketch"].max() == pytest.approx(50 / 255)


def test_paired_folders_errors(tmp_path):
    _png(tmp_path / "photo" / "001" / "a.png", 1)
    _png(tmp_path / "sketch" / "002" / "a.png", 1)
    with pytest.raises(ValueError, match=r"only in 'photo': \['001'\]"):
        load_paired_folders(tmp_path, ("photo", "sketch"))
    with pytest.raises(FileNotFoundError, match="no folder 'nir'"):
        load_paired_folders(tmp_path, ("photo", "nir"))
    _png(tmp_path / "sketch" / "001" / "a.png", 1)
    _png(tmp_path / "photo" / "002" / "a.png", 1)
    (tmp_path / "sketch" / "001" / "broken.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(ValueError, match=r"broken\.png: cannot decode"):
        load_paired_folders(tmp_path, ("photo", "sketch"))


def test_real_spectra_share_four_classes():
    df, X, grid = load_ramanbiolib()
    assert X.shape == (len(df), len(grid)) and np.all(np.diff(grid) > 0)
    F, fgrid, labels = load_collagen_ftir()
    assert F.shape == (731, len(fgrid)) and np.all(np.diff(fgrid) > 0)
    assert set(labels) == set(SHARED_CLASSES)
    assert set(SHARED_CLASSES) <= set(df["class"].dropna())



def test_make_subset_writes_a_class_balanced_subset_and_remakes_the_shipped_one(tmp_path):
    """``make_subset`` is the recipe of data/fashion-mnist-subset: on a fixture it draws per_class of each class
    without repeats; where Debian's full set is present it remakes the shipped files exactly."""
    import numpy as np
    import pytest

    from modgap.data.fashion_mnist import DEBIAN_DIR, SUBSET_DIR, load_fashion_mnist, make_subset, read_idx, write_idx

    images, labels = load_fashion_mnist()  # the shipped subset stands in for a full test split
    src = tmp_path / "full"
    write_idx(src / "t10k-images-idx3-ubyte.gz", images)
    write_idx(src / "t10k-labels-idx1-ubyte.gz", labels.astype(np.uint8))
    out = make_subset(src, per_class=7, seed=1, out=tmp_path / "subset")
    got_images = read_idx(out / "subset-images-idx3-ubyte.gz")
    got_labels = read_idx(out / "subset-labels-idx1-ubyte.gz")
    assert got_images.shape == (70, 28, 28) and np.bincount(got_labels).tolist() == [7] * 10
    assert len({im.tobytes() for im in got_images}) == 70  # no image drawn twice
    if not (DEBIAN_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("Debian's dataset-fashion-mnist is not installed: the shipped subset cannot be remade here")
    again = make_subset(out=tmp_path / "again")  # the defaults: 300 per class, seed 0, from Debian's test split
    for name in ("subset-images-idx3-ubyte.gz", "subset-labels-idx1-ubyte.gz"):
        assert np.array_equal(read_idx(again / name), read_idx(SUBSET_DIR / name))
