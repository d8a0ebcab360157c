import pytest
import torch
from torch import nn

from modgap.device import native_bf16
from modgap.training import batch_order, fit


def _problem(seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(96, 5, generator=g)
    y = X @ torch.randn(5, 1, generator=g) + 0.1 * torch.randn(96, 1, generator=g)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))
    return X.to(device), y.to(device), net.to(device)


DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU here"))]


def _step(net, X, y, crash_at=None, counter=None):
    def step(idx, progress):
        if counter is not None:
            counter[0] += 1
            if crash_at is not None and counter[0] == crash_at:
                raise KeyboardInterrupt("simulated kill")
        loss = (net(X[idx]) - y[idx]).pow(2).mean()
        return loss, {"mse": loss}
    return step


def test_loss_goes_down_and_history_is_kept():
    X, y, net = _problem()
    res = fit({"net": net}, _step(net, X, y), len(X), epochs=15, batch_size=16, lr=1e-2, progress_bar=False)
    assert len(res.history) == 15 and res.history[-1]["loss"] < 0.3 * res.history[0]["loss"]
    assert not res.resumed


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_killed_training_resumes_to_the_same_result(tmp_path, schedule, device):
    """On a GPU too: the checkpoint is loaded onto the device, its random states with it (dropout draws there)."""
    X, y, net = _problem(device=device)
    fit({"net": net}, _step(net, X, y), len(X), epochs=4, batch_size=16, progress_bar=False, lr_schedule=schedule)
    reference = [p.detach().clone() for p in net.parameters()]

    X, y, net = _problem(device=device)
    ckpt = tmp_path / "run.pt"
    counter = [0]
    with pytest.raises(KeyboardInterrupt):  # killed in the middle of epoch 3 (6 batches per epoch)
        fit({"net": net}, _step(net, X, y, crash_at=15, counter=counter), len(X), epochs=4, batch_size=16,
            checkpoint=ckpt, progress_bar=False, lr_schedule=schedule)
    X, y, net = _problem(device=device)  # a fresh process: new model, same seed
    res = fit({"net": net}, _step(net, X, y), len(X), epochs=4, batch_size=16, checkpoint=ckpt, progress_bar=False,
              lr_schedule=schedule)
    assert res.start_epoch == 2 and res.epochs_run == 2 and len(res.history) == 4
    for a, b in zip(reference, net.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # a finished run is loaded, not retrained
    X, y, net = _problem(device=device)
    again = fit({"net": net}, _step(net, X, y), len(X), epochs=4, batch_size=16, checkpoint=ckpt, progress_bar=False)
    assert again.epochs_run == 0


def test_random_draws_in_a_step_depend_on_the_seed_not_on_earlier_work():
    def train(burn):
        X, y, net = _problem()
        torch.rand(burn)  # whatever ran before must not change the result

        def step(idx, progress):
            noisy = X[idx] + 0.1 * torch.randn_like(X[idx])  # augmentation from the global generator
            return (net(noisy) - y[idx]).pow(2).mean(), {}
        fit({"net": net}, step, len(X), epochs=2, batch_size=16, progress_bar=False)
        return [p.detach().clone() for p in net.parameters()]

    for p, q in zip(train(0), train(7)):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


@pytest.mark.parametrize("amp, on_cpu", [("auto", False), ("fp32", False),
                                          pytest.param("bf16", True, marks=pytest.mark.skipif(
                                              not native_bf16(), reason="this CPU has no native bf16"))])
def test_bf16_autocast_on_a_cpu_only_when_asked(amp, on_cpu):
    """The notebooks train in float32 on a CPU ("auto"); ``amp="bf16"`` (the held-out precision check) runs the step
    under bf16 autocast, where a Linear layer's output is bfloat16, and still learns."""
    X, y, net = _problem()
    seen = []
    step = _step(net, X, y)

    def watching(idx, progress):
        seen.append(net[0](X[idx]).dtype)
        return step(idx, progress)

    res = fit({"net": net}, watching, len(X), epochs=15, batch_size=16, lr=1e-2, amp=amp, progress_bar=False)
    assert set(seen) == {torch.bfloat16 if on_cpu else torch.float32}
    assert res.history[-1]["loss"] < 0.3 * res.history[0]["loss"]
    assert all(p.dtype == torch.float32 for p in net.parameters())  # autocast keeps the weights in float32


def test_bf16_on_a_cpu_without_native_bf16_is_a_clear_error(monkeypatch):
    import modgap.device

    monkeypatch.setattr(modgap.device, "native_bf16", lambda: False)
    X, y, net = _problem()
    with pytest.raises(ValueError, match="CPU without native bf16"):
        fit({"net": net}, _step(net, X, y), len(X), epochs=1, amp="bf16", progress_bar=False)
    fit({"net": net}, _step(net, X, y), len(X), epochs=1, amp="auto", progress_bar=False)  # float32 still trains


def test_nan_loss_is_a_clear_error():
    X, y, net = _problem()
    X[3] = float("nan")
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 1"):
        fit({"net": net}, _step(net, X, y), len(X), epochs=1, batch_size=96, progress_bar=False)


def test_corrupt_checkpoint_and_bad_arguments(tmp_path):
    X, y, net = _problem()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="bad.pt cannot be used"):
        fit({"net": net}, _step(net, X, y), len(X), epochs=1, checkpoint=bad, progress_bar=False)
    with pytest.raises(ValueError, match="epochs"):
        fit({"net": net}, _step(net, X, y), len(X), epochs=-1, progress_bar=False)
    with pytest.raises(ValueError, match="amp must be 'auto', 'bf16' or 'fp32', got 'fp16'"):
        fit({"net": net}, _step(net, X, y), len(X), epochs=1, amp="fp16", progress_bar=False)
    assert torch.equal(batch_order(10, 3, 0), batch_order(10, 3, 0))
    assert not torch.equal(batch_order(10, 3, 0), batch_order(10, 4, 0))


def test_cosine_schedule_ends_with_small_steps(tmp_path):
    """With the cosine schedule the last epoch barely moves the weights; with a constant rate it still does."""
    moved = {}
    for schedule in ("constant", "cosine"):
        ckpt = tmp_path / f"{schedule}.pt"
        X, y, net = _problem()
        with pytest.raises(KeyboardInterrupt):  # stop at the first batch of epoch 8 (6 batches per epoch)
            fit({"net": net}, _step(net, X, y, crash_at=43, counter=[0]), len(X), epochs=8, batch_size=16, lr=1e-2,
                checkpoint=ckpt, progress_bar=False, lr_schedule=schedule)
        before = [p.detach().clone() for p in net.parameters()]
        X, y, net = _problem()
        fit({"net": net}, _step(net, X, y), len(X), epochs=8, batch_size=16, lr=1e-2, checkpoint=ckpt,
            progress_bar=False, lr_schedule=schedule)
        moved[schedule] = sum((a - b).abs().sum().item() for a, b in zip(before, net.parameters()))
    assert 0 < moved["cosine"] < 0.2 * moved["constant"]
    X, y, net = _problem()
    with pytest.raises(ValueError, match="lr_schedule"):
        fit({"net": net}, _step(net, X, y), len(X), epochs=1, progress_bar=False, lr_schedule="step")


def _scripted(net, scores, seen):
    """A validate() that returns the next of ``scores`` and records the weights it scored."""
    def validate():
        seen.append([p.detach().clone() for p in net.parameters()])
        return scores[len(seen) - 1]
    return validate


def test_early_stopping_keeps_the_best_epoch_and_stops_after_patience():
    X, y, net = _problem()
    seen = []
    res = fit({"net": net}, _step(net, X, y), len(X), epochs=10, batch_size=16, progress_bar=False,
              validate=_scripted(net, [0.1, 0.5, 0.4, 0.45, 0.3, 0.9, 0.9, 0.9, 0.9, 0.9], seen), patience=3)
    assert res.stopped_early and res.best_epoch == 2 and res.epochs_run == 5  # epochs 3, 4, 5 did not beat 0.5
    assert [h["val"] for h in res.history] == [0.1, 0.5, 0.4, 0.45, 0.3]
    for best, now in zip(seen[1], net.parameters()):  # the modules hold epoch 2's weights
        torch.testing.assert_close(best, now, rtol=0, atol=0)
    with pytest.raises(ValueError, match="early stopping"):
        fit({"net": net}, _step(net, X, y), len(X), epochs=2, validate=lambda: 0.0, patience=0, progress_bar=False)


def test_early_stopping_resumes_as_if_never_interrupted_and_a_stopped_run_is_only_loaded(tmp_path):
    scores = [0.1, 0.5, 0.4, 0.45, 0.3, 0.9, 0.9, 0.9]
    X, y, net = _problem()
    ref = fit({"net": net}, _step(net, X, y), len(X), epochs=8, batch_size=16, progress_bar=False,
              validate=_scripted(net, scores, []), patience=3)
    reference = [p.detach().clone() for p in net.parameters()]

    X, y, net = _problem()
    ckpt, counter, seen = tmp_path / "es.pt", [0], []
    with pytest.raises(KeyboardInterrupt):  # killed during epoch 4 (6 batches per epoch), after 3 validations
        fit({"net": net}, _step(net, X, y, crash_at=21, counter=counter), len(X), epochs=8, batch_size=16,
            checkpoint=ckpt, progress_bar=False, validate=_scripted(net, scores, seen), patience=3)
    X, y, net = _problem()
    res = fit({"net": net}, _step(net, X, y), len(X), epochs=8, batch_size=16, checkpoint=ckpt, progress_bar=False,
              validate=_scripted(net, scores, seen), patience=3)
    assert res.start_epoch == 3 and (res.best_epoch, res.stopped_early) == (ref.best_epoch, ref.stopped_early) == (2, True)
    for a, b in zip(reference, net.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    X, y, net = _problem()
    again = fit({"net": net}, _step(net, X, y), len(X), epochs=8, batch_size=16, checkpoint=ckpt, progress_bar=False,
                validate=lambda: pytest.fail("a stopped run must not be validated again"), patience=3)
    assert again.epochs_run == 0 and again.best_epoch == 2
    for a, b in zip(reference, net.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_training_gives_the_same_weights_whatever_the_callers_thread_count():
    """``fit`` trains on one torch thread wherever it is called (a notebook's kernel takes one thread per free
    core), so a model does not depend on how busy the machine was; the caller's thread count is restored."""
    from modgap.models.extractor import FeatureExtractor

    x = torch.randn(256, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    y = torch.arange(256) % 10

    def train(threads):
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        net = FeatureExtractor(2, 1, 8, stages=2, embed_dim=32, n_classes=10)
        seen = []

        def step(idx, progress):
            seen.append(torch.get_num_threads())
            return nn.functional.cross_entropy(net.classifier(net(x[idx])), y[idx]), {}

        fit({"net": net}, step, len(x), epochs=2, batch_size=32, lr=2e-3, progress_bar=False)
        assert torch.get_num_threads() == threads and set(seen) == {1}
        return torch.cat([p.detach().flatten() for p in net.parameters()])

    before = torch.get_num_threads()
    try:
        assert torch.equal(train(1), train(2))  # bit for bit
    finally:
        torch.set_num_threads(before)
