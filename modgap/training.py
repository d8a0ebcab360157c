"""One training loop for every model in the collection.

``fit`` runs epochs of mini-batches over ``n_samples`` items; the caller's ``step(idx, progress)``
computes the loss of one batch (``idx``: a LongTensor of sample indices; ``progress``: fraction of
training done, for loss schedules). The loop owns what every experiment needs:

- Adam over the trainable parameters of ``modules``;
- a tqdm.auto progress bar;
- a checkpoint after every epoch (modules, optimizer, epoch, history, RNG state), written atomically
  and read back with ``torch.load(weights_only=True)``; a rerun resumes after the last finished epoch
  and, because the batch order of epoch e depends only on (seed, e), reaches the same result as a run
  that was never interrupted;
- torch's global generator seeded from ``seed`` at the start of a fresh run, so random draws inside
  ``step`` (augmentation) do not depend on what ran before; a resumed run restores its saved state;
- torch on one thread while it trains on a CPU (``modgap.device.one_torch_thread``), wherever it runs — a worker
  or a notebook's kernel, whose thread count follows the cores free when it started — so that the weights do
  not depend on how busy the machine was (another number of threads adds in another order);
- a clear error when the loss stops being finite;
- a constant learning rate, or a cosine decay to 0 over the whole run (``lr_schedule="cosine"``);
- bf16 autocast on CUDA (``amp="auto"``); on a CPU only when asked (``amp="bf16"``): it is slower on a CPU without
  bf16 instructions (an error here), and on one with them it trained 1.1-1.3x faster with rank-1 within the seed
  noise on held-out seeds (results/held_out.md);
  ``amp="fp32"`` never;
- early stopping (``validate`` and ``patience``): after every epoch ``validate()`` scores the model on held-out
  data (higher is better); training stops after ``patience`` epochs without a better score, and the modules
  end with the weights of the best epoch. ``epochs`` is then the most it may train. The best weights, the
  best score and the count of epochs without progress are in the checkpoint, so a resumed run decides as an
  uninterrupted one, and a finished one is loaded, not trained further.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn


@dataclass
class FitResult:
    history: list[dict] = field(default_factory=list)  # one dict of mean losses (and "val") per epoch
    start_epoch: int = 0  # > 0: resumed from a checkpoint after this many epochs
    epochs_run: int = 0  # epochs trained in this call
    best_epoch: int | None = None  # with early stopping: the epoch whose weights the modules hold
    stopped_early: bool = False  # with early stopping: training ended before ``epochs``

    @property
    def resumed(self) -> bool:
        return self.start_epoch > 0


def _save(path: Path, state: dict) -> None:
    from modgap.io import atomic_write

    atomic_write(path, lambda fh: torch.save(state, fh), "wb")


def batch_order(n: int, epoch: int, seed: int) -> torch.Tensor:
    """The permutation used in ``epoch`` (depends only on n, epoch and seed)."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=g)


def checkpoint_problem(exc: BaseException) -> str:
    """What is wrong with a checkpoint, in one line: the error's first line, without PyTorch's advice to load it with
    ``weights_only=False`` (that runs code from the file: unsafe for a file of unknown origin)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if "weights_only" in str(exc) or "Weights only load failed" in first:
        return f"{type(exc).__name__}: not a checkpoint this code wrote, or a damaged one"
    return f"{type(exc).__name__}: {first[:300]}"


def read_checkpoints(paths) -> tuple[dict[Path, str], dict[Path, tuple[int, bool]]]:
    """``(bad, progress)`` of every existing checkpoint among ``paths``: the unreadable ones with their problem —
    so a run reports them all at once, before it trains anything, instead of failing on the first — and, of
    each readable one, ``(epochs trained, stopped early)``."""
    bad, progress = {}, {}
    for p in map(Path, paths):
        if p.exists():
            try:
                # mmap: the archive's index and small objects are read, the weights are not (training loads them)
                state = torch.load(p, map_location="cpu", weights_only=True, mmap=True)
                if not isinstance(state, dict) or "modules" not in state:
                    bad[p] = "not a checkpoint of modgap.training (no modules in it)"
                else:
                    progress[p] = (int(state.get("epoch", 0)), bool((state.get("early") or {}).get("stopped", False)))
            except Exception as exc:
                bad[p] = checkpoint_problem(exc)
    return bad, progress


def timed_training(train: Callable, job: dict) -> tuple[float, int]:
    """``(seconds, epochs trained)`` of ``train(**job)`` — a train-or-load function that returns ``(model, FitResult)``;
    0 epochs means it loaded a finished checkpoint. What ``train_all`` and ``train_towers`` run in each worker
    (``functools.partial(timed_training, train)`` travels to another process)."""
    import time

    t0 = time.perf_counter()
    _, res = train(**job)
    return time.perf_counter() - t0, res.epochs_run


def refuse_bad_checkpoints(paths) -> dict[Path, tuple[int, bool]]:
    """Raise one error that lists every unreadable checkpoint among ``paths``; else the readable ones' progress
    (``read_checkpoints``)."""
    bad, progress = read_checkpoints(paths)
    if bad:
        raise RuntimeError(f"{len(bad)} checkpoint(s) cannot be used; delete them to train those models from scratch "
                           "(nothing was trained):\n" + "\n".join(f"  {p}: {why}" for p, why in bad.items()))
    return progress


#: whether ``fit`` draws its progress bar; a training worker process sets it False (``modgap.executor``): its bars
#: would go to the runner's terminal or log, not to the notebook, where the executor's own bar counts the jobs
PROGRESS_BARS = True


def _rng_state(device: torch.device) -> dict:
    """The random states a resumed run needs: the CPU generator's, and the accelerator's when training on one."""
    state = {"rng": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    return state


def _restore_rng(state: dict, device: torch.device) -> None:
    """Put back what :func:`_rng_state` saved. A checkpoint loaded with ``map_location`` on an accelerator holds
    the states there too, and torch takes them back only as CPU byte tensors."""
    torch.set_rng_state(state["rng"].cpu())
    if device.type == "cuda" and "cuda_rng" in state:
        torch.cuda.set_rng_state(state["cuda_rng"].cpu(), device)


def fit(modules: dict[str, nn.Module], step: Callable[[torch.Tensor, float], tuple[torch.Tensor, dict]],
        n_samples: int, epochs: int, batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 0.0,
        seed: int = 0, checkpoint: str | Path | None = None, device=None, amp: str = "auto",
        progress_bar: bool = True, desc: str = "train", drop_last: bool = True, lr_schedule: str = "constant",
        validate: Callable[[], float] | None = None, patience: int = 0, validate_from: int = 1) -> FitResult:
    """Train ``modules`` with ``step``; see the module docstring. With a ``checkpoint``, the training holds a lock on
    it (``modgap.io.file_lock``): a second process training the same model waits, then loads what the first wrote."""
    arguments = dict(locals())  # passed on as they are
    from contextlib import nullcontext

    from modgap.device import one_torch_thread
    from modgap.io import file_lock

    on_cpu = torch.device(device).type == "cpu" if device is not None else all(
        p.device.type == "cpu" for m in modules.values() for p in m.parameters())
    with (one_torch_thread() if on_cpu else nullcontext()), \
            (file_lock(checkpoint, what=f"the checkpoint {checkpoint}") if checkpoint is not None else nullcontext()):
        return _fit(**arguments)


def _check_arguments(n_samples, epochs, batch_size, lr_schedule, validate, patience) -> None:
    if lr_schedule not in ("constant", "cosine"):
        raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got {lr_schedule!r}")
    if (validate is None) != (patience < 1):
        raise ValueError(f"early stopping needs both validate and patience >= 1, got validate={validate}, patience={patience}")
    if epochs < 0 or batch_size < 1 or n_samples < 1:
        raise ValueError(f"need epochs ≥ 0, batch_size ≥ 1, n_samples ≥ 1; got {epochs}, {batch_size}, {n_samples}")


def _resume(ckpt: Path, modules, opt, device, validate, result: FitResult):
    """Load a checkpoint's weights, optimiser, random states and history into the run; returns the early-stopping
    state it kept (None without early stopping)."""
    try:
        state = torch.load(ckpt, map_location=device, weights_only=True)
        for name, m in modules.items():
            m.load_state_dict(state["modules"][name])
        opt.load_state_dict(state["optimizer"])
    except Exception as exc:
        raise RuntimeError(f"checkpoint {ckpt} cannot be used ({checkpoint_problem(exc)}); "
                           "delete it to train from scratch") from None
    _restore_rng(state, device)
    result.start_epoch = int(state["epoch"])
    result.history = list(state["history"])
    return state.get("early") if validate is not None else None


def _one_batch(step, idx, progress, opt, modules, device, use_amp, lr, lr_schedule, where: tuple[str, int, int]):
    """One optimiser step on the batch ``idx``; returns the loss and the step's logs. ``where``: (the training's
    name, epoch, batch), for the error a non-finite loss raises."""
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
        loss, logs = step(idx, progress)
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f"{where[0]}: the loss became {loss.item()} at epoch {where[1]}, batch {where[2]} "
            f"(parts: { {k: float(v.detach() if torch.is_tensor(v) else v) for k, v in logs.items()} }); "
            "lower the learning rate or check the inputs")
    if lr_schedule == "cosine":  # a function of progress alone, so a resumed run follows the same curve
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 * (1.0 + math.cos(math.pi * progress))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    for m in modules.values():  # e.g. a learned temperature clamps its parameter (open_clip's clamp_)
        for sub in m.modules():
            if hasattr(sub, "after_optimizer_step"):
                sub.after_optimizer_step()
    return loss, logs


def _add_logs(sums: dict, loss, logs: dict) -> None:
    sums["loss"] = sums.get("loss", 0.0) + float(loss.detach())
    for k, v in logs.items():
        sums[k] = sums.get(k, 0.0) + float(v.detach() if torch.is_tensor(v) else v)


def _end_with_best(early, modules, result: FitResult) -> None:
    """Early stopping ends with the best epoch's weights."""
    if early["weights"] is not None:
        for name, m in modules.items():
            m.load_state_dict(early["weights"][name])
    result.best_epoch, result.stopped_early = early["best_epoch"], early["stopped"]


def _optimiser(modules, lr, weight_decay, device, amp):
    """Adam over the trainable parameters of ``modules``; returns it, the device they train on and whether bf16
    autocast runs (``amp`` "bf16" anywhere, "auto" on a CUDA device, never with "fp32")."""
    from modgap.device import native_bf16, training_precision

    if amp not in ("auto", "bf16", "fp32"):
        raise ValueError(f"amp must be 'auto', 'bf16' or 'fp32', got {amp!r}")
    params = [p for m in modules.values() for p in m.parameters() if p.requires_grad]
    if not params:
        raise ValueError("no trainable parameters in modules")
    device = torch.device(device) if device is not None else params[0].device
    if amp == "bf16" and device.type == "cpu":
        if not native_bf16():
            raise ValueError("amp='bf16' (precision='bf16') asks for bf16 autocast on a CPU without native bf16 "
                             "(AVX-512 BF16 or AMX), where it runs several times slower than float32: use 'auto'")
    # fused: one kernel for the whole update instead of a few per tensor (~10% of a small model's CPU step)
    fused = all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params)  # where torch has the kernel
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=fused)
    return opt, device, training_precision(amp, device) == "bf16"


def _progress_bar(total: int, initial: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, leave=False)


def _fit(modules, step, n_samples, epochs, batch_size, lr, weight_decay, seed, checkpoint, device, amp, progress_bar,
         desc, drop_last, lr_schedule, validate, patience, validate_from) -> FitResult:
    _check_arguments(n_samples, epochs, batch_size, lr_schedule, validate, patience)
    if drop_last and n_samples < batch_size:
        batch_size = n_samples
    opt, device, use_amp = _optimiser(modules, lr, weight_decay, device, amp)
    result = FitResult()
    early = None  # early stopping's state: best score and epoch, epochs without progress, best weights

    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None and ckpt.exists():
        early = _resume(ckpt, modules, opt, device, validate, result)
    else:  # random draws inside step (augmentation) depend on the seed alone, not on what ran before
        torch.manual_seed(seed)

    n_batches = n_samples // batch_size if drop_last else -(-n_samples // batch_size)
    total = epochs * n_batches
    bar = _progress_bar(total, result.start_epoch * n_batches, desc) if (
        progress_bar and PROGRESS_BARS and result.start_epoch < epochs) else None
    if validate is not None and early is None:
        early = {"best": -math.inf, "best_epoch": 0, "bad": 0, "stopped": False, "weights": None}
    for m in modules.values():
        m.train()
    for epoch in range(result.start_epoch, epochs):
        if early is not None and early["stopped"]:
            break
        order = batch_order(n_samples, epoch, seed)
        sums: dict[str, float] = {}
        for b in range(n_batches):
            idx = order[b * batch_size:(b + 1) * batch_size]
            progress = (epoch * n_batches + b) / max(total, 1)
            loss, logs = _one_batch(step, idx, progress, opt, modules, device, use_amp, lr, lr_schedule,
                                    (desc, epoch + 1, b + 1))
            _add_logs(sums, loss, logs)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{float(loss.detach()):.3f}", refresh=False)
        result.history.append({"epoch": epoch + 1, **{k: v / n_batches for k, v in sums.items()}})
        result.epochs_run += 1
        if early is not None and epoch + 1 >= validate_from:
            _early_stopping_step(early, modules, validate, patience, epoch + 1, result.history[-1])
        if ckpt is not None:
            _save(ckpt, {"modules": {n: m.state_dict() for n, m in modules.items()}, "optimizer": opt.state_dict(),
                         "epoch": epoch + 1, "history": result.history, **_rng_state(device),
                         **({"early": early} if early is not None else {})})
    if bar is not None:
        bar.close()
    if early is not None:
        _end_with_best(early, modules, result)
    for m in modules.values():
        m.eval()
    return result


def _early_stopping_step(early: dict, modules: dict[str, nn.Module], validate, patience: int, epoch: int,
                         record: dict) -> None:
    """Score the epoch just trained; keep a copy of the best weights; stop after ``patience`` epochs without progress."""
    for m in modules.values():
        m.eval()
    with torch.no_grad():
        score = float(validate())
    for m in modules.values():
        m.train()
    record["val"] = score
    if score > early["best"]:
        early.update(best=score, best_epoch=epoch, bad=0,
                     weights={n: {k: v.detach().clone() for k, v in m.state_dict().items()} for n, m in modules.items()})
    else:
        early["bad"] += 1
        early["stopped"] = early["bad"] >= patience
