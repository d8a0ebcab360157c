import gzip

import numpy as np
import pytest
from scipy import ndimage

from modgap.data.fashion_mnist import load_fashion_mnist, read_idx, write_idx
from modgap.data.modalities import IMAGE_PAIRINGS, make_image_pairs, to_nir, to_sketch, to_thermal


def test_idx_round_trip_and_corruption(tmp_path):
    x = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    p = write_idx(tmp_path / "a-idx3-ubyte.gz", x)
    np.testing.assert_array_equal(read_idx(p), x)
    # truncated payload: the header promises more bytes than there are
    raw = gzip.decompress(p.read_bytes())
    (tmp_path / "t.idx").write_bytes(raw[:-10])
    with pytest.raises(ValueError, match=r"t\.idx.*truncated or corrupt"):
        read_idx(tmp_path / "t.idx")
    (tmp_path / "m.idx").write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "m.idx")
    (tmp_path / "g.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="corrupt"):
        read_idx(tmp_path / "g.gz")


def test_user_folder_is_validated(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_fashion_mnist(tmp_path / "nope")
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        load_fashion_mnist(tmp_path, "train")
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="3 images but labels of shape"):
        load_fashion_mnist(tmp_path, "train")
    with pytest.raises(ValueError, match="split"):
        load_fashion_mnist(tmp_path, "val")


def test_shipped_subset_is_balanced():
    x, y = load_fashion_mnist()
    assert x.shape == (3000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [300] * 10


@pytest.mark.parametrize("render", [to_sketch, to_thermal, to_nir])
def test_renderings_are_per_image_and_in_range(render):
    x, _ = load_fashion_mnist()
    imgs = x[:6].astype(np.float32) / 255
    out = render(imgs)
    assert out.shape == imgs.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    # an image's rendering must not depend on its neighbours in the batch
    if render is to_sketch:
        np.testing.assert_allclose(render(imgs[2:3])[0], out[2], atol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        render(imgs[0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        render(imgs * 255)


def test_pairs_shapes_determinism_and_shift():
    x, y = load_fashion_mnist()
    for pairing in IMAGE_PAIRINGS:
        p = make_image_pairs(x[:10], y[:10], pairing, seed=0)
        q = make_image_pairs(x[:10], y[:10], pairing, seed=0)
        assert p.a.shape == p.b.shape == (10, 1, 28, 28)
        np.testing.assert_array_equal(p.b, q.b)
        np.testing.assert_array_equal(p.label, y[:10])
    aligned = make_image_pairs(x[:10], y[:10], "visible-nir", max_shift=0)
    np.testing.assert_allclose(aligned.a[:, 0], x[:10] / 255, atol=1e-6)
    with pytest.raises(ValueError, match="unknown image pairing"):
        make_image_pairs(x[:2], y[:2], "photo-painting")


def test_lowpass_edges_views_each_lack_what_the_other_keeps():
    from modgap.data.modalities import to_edges, to_lowpass

    x, _ = load_fashion_mnist()
    imgs = x[:50].astype(np.float32) / 255
    low, edges = to_lowpass(imgs, noise=0), to_edges(imgs, noise=0)
    assert low.shape == edges.shape == imgs.shape and 0 <= low.min() and edges.max() <= 1

    def high_freq(z):  # energy of the image minus its own blur
        return float(((z - ndimage.gaussian_filter(z, sigma=(0, 1, 1))) ** 2).mean())

    assert high_freq(low) < 0.1 * high_freq(imgs)  # the low-pass view has lost the fine detail
    # the edge view has lost intensity: an image and a darker copy give the same edges
    np.testing.assert_allclose(to_edges(0.5 * imgs, noise=0), edges, atol=1e-5)
    assert not np.allclose(to_lowpass(0.5 * imgs, noise=0), low)
    p = make_image_pairs(x[:10], np.zeros(10, int), "lowpass-edges", max_shift=0)
    np.testing.assert_allclose(p.a[:, 0], to_lowpass(x[:10] / 255.0, seed=2), atol=1e-6)  # A is not the visible image
