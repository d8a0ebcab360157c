"""The helpers benchmarks build their alternatives with compute what the notebooks compute, so a ratio they print
compares the same work."""
import importlib.util

import torch

from modgap.paths import REPO_ROOT


def _script(name):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_2d_twin_of_the_1d_extractor_is_the_same_function_and_trains_the_same():
    from modgap.models.extractor import FeatureExtractor

    as_2d = _script("channels_last_1d").as_2d
    torch.manual_seed(0)
    e1 = FeatureExtractor(dim=1)
    e2 = as_2d(e1).to(memory_format=torch.channels_last)
    assert not any(isinstance(m, (torch.nn.Conv1d, torch.nn.BatchNorm1d, torch.nn.MaxPool1d)) for m in e2.modules())
    x = torch.randn(8, 1, 451)
    y1, y2 = e1(x), e2(x.unsqueeze(2).contiguous(memory_format=torch.channels_last))  # training mode: batch statistics
    assert y1.shape == y2.shape == (8, 64)
    torch.testing.assert_close(y2, y1, rtol=1e-3, atol=1e-4)  # rounding: the kernels differ (a wrong twin is off by O(1))
    y1.square().mean().backward()
    y2.square().mean().backward()
    g1 = e1.features[0].weight.grad
    g2 = e2.features[0].weight.grad.squeeze(2)
    torch.testing.assert_close(g2, g1, rtol=1e-3, atol=1e-4)
