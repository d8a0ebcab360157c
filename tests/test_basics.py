import numpy as np
import pytest
import torch

from modgap import get_device, output_dir, seed_everything
from modgap.io import atomic_write, save_results, sha256_of, write_json


def test_seed_everything_reproduces_numpy_and_torch():
    g1 = seed_everything(3)
    a = (g1.normal(size=3), np.random.rand(2), torch.randn(2))
    g2 = seed_everything(3)
    b = (g2.normal(size=3), np.random.rand(2), torch.randn(2))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert torch.equal(a[2], b[2])


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_rejects_bad_values(bad):
    with pytest.raises((TypeError, ValueError)):
        seed_everything(bad)


def test_device_auto_and_errors():
    dev = get_device("auto")
    assert dev.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert get_device("CPU").type == "cpu"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA device"):
            get_device("cuda")


def test_atomic_write_keeps_old_file_when_writer_fails(tmp_path):
    target = tmp_path / "r.json"
    write_json(target, {"a": 1})
    before = target.read_bytes()

    def broken(fh):
        fh.write("{half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, broken)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left


def test_sha256_and_results(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes(b"abc")
    assert sha256_of(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    save_results(tmp_path, [{"metric": "m", "value": np.float32(0.5)}], seed=0)
    assert (tmp_path / "results.csv").read_text().splitlines() == ["metric,value", "m,0.5"]
    with pytest.raises(ValueError):
        save_results(tmp_path, [])


def test_output_dir_smoke_suffix(tmp_path):
    assert output_dir(tmp_path / "runs" / "01", smoke=True).name == "01-smoke"
    assert output_dir(tmp_path / "runs" / "01").is_dir()
