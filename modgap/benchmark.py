"""Train-or-load for the matching benchmark, shared by notebooks 02 (cmUNet), 03 (accuracy) and 04
(occlusion): they keep models in one folder under names that say everything they were trained with
(task, method, seed, data size, epochs and a digest of the configuration), so a later notebook reuses
what an earlier one trained, and trains it itself when run alone or with other settings.

``train_all`` trains a list of such models in parallel processes on a CPU: these models are too small to
keep two threads busy, so two 1-thread trainings side by side finish sooner than one 2-thread training after
another (on 2 cores, the ten visible–thermal models of notebook 03: 54 s instead of 68 s;
``benchmarks/parallel_training.py``)."""
from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import torch

from modgap.marrnet import MatchConfig, train_matcher, train_perceptual_net
from modgap.tasks import MatchingTask


def perceptual_net(T: MatchingTask, ckpt_dir: Path, seed: int, epochs: int, device=None):
    return train_perceptual_net(torch.cat([T.a, T.b]), torch.cat([T.phi_labels, T.phi_labels]), T.dim,
                                int(T.phi_labels.max()) + 1, epochs=epochs, seed=seed, device=device,
                                checkpoint=Path(ckpt_dir) / f"phi-{T.name}-s{seed}-{len(T.a)}-{epochs}.pt")


def train_or_load(T: MatchingTask, method: str, seed: int, epochs: int, ckpt_dir: Path, phi=None, device=None,
                  progress_bar: bool = False, **config):
    """Return ``(model, FitResult)``; ``FitResult.epochs_run == 0`` means it was loaded from its checkpoint.
    ``config``: other ``MatchConfig`` settings (e.g. ``perceptual="ssim"``); they are part of the checkpoint's name."""
    cfg = MatchConfig(method=method, dim=T.dim, epochs=epochs, n_ids=T.n_ids, seed=seed, **config)
    return train_matcher(cfg, T.a, T.b, T.ids, phi=phi, device=device, progress_bar=progress_bar,
                         checkpoint=Path(ckpt_dir) / f"{T.name}-{method}-s{seed}-{len(T.a)}-{epochs}-{cfg.digest()}.pt")


def matching_jobs(tasks: dict[str, MatchingTask], methods: list[str], seeds: list[int], epochs: dict[str, int],
                  ckpt_dir: Path, phi: dict, **marrnet_config) -> dict[tuple[str, str, int], dict]:
    """The ``train_or_load`` arguments of every (task, method, seed), keyed by that triple, in the order of a
    results table: task, then method, then seed. ``marrnet_config`` (e.g. ``perceptual="ssim"``) goes to
    MarrNet only, so the baselines' checkpoints do not change with it."""
    return {(name, method, s): dict(T=T, method=method, seed=s, epochs=epochs[name], ckpt_dir=ckpt_dir, phi=phi[name],
                                    **(marrnet_config if method == "marrnet" else {}))
            for name, T in tasks.items() for method in methods for s in seeds}


#: relative cost of a training step (batch 32, 2-core CPU: MarrNet 80 ms, transfer 45 ms, the others 20–25 ms);
#: ``train_all`` starts the costly jobs first, so that the last to finish is a short one
STEP_COST = {"marrnet": 4, "transfer": 2}


def cpu_workers(device=None, n_jobs: int | None = None) -> int:
    """How many training processes ``train_all`` runs at once: one per core that torch may use on a CPU
    (these models are too small to keep two threads busy: on 2 cores, two 1-thread MarrNet trainings side by
    side take 65 ms per step each, one 2-thread training 80 ms), one on a GPU."""
    device = torch.device(device or "cpu")
    if device.type != "cpu":
        return 1
    return max(1, min(torch.get_num_threads(), n_jobs or 1 << 30))


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)


def _timed_train(job: dict) -> tuple[float, int]:
    t0 = time.perf_counter()
    _, res = train_or_load(**job)
    return time.perf_counter() - t0, res.epochs_run


def train_all(jobs: list[dict], workers: int = 0, device=None, progress_bar: bool = True) -> list[tuple[float, int]]:
    """Train every job (keyword arguments of ``train_or_load`` other than ``device``) into its checkpoint,
    ``workers`` at a time, the costliest methods (``STEP_COST``) first.

    ``workers = 0`` picks ``cpu_workers``; ``1`` trains here, one after the other. With more, each job runs in
    a fresh process with ``torch threads // workers`` threads. A job whose checkpoint is complete loads in a
    moment and an interrupted one resumes from its last epoch. Returns ``(seconds, epochs trained)`` per job,
    in order; load the models afterwards with ``train_or_load`` (same arguments)."""
    from tqdm.auto import tqdm

    if workers < 0:
        raise ValueError(f"workers must be >= 0 (0: one per core), got {workers}")
    jobs = [{**job, "device": device} for job in jobs]
    if not jobs:
        return []
    if torch.device(device or "cpu").type != "cpu":
        workers = 1  # one accelerator: processes would only queue on it
    workers = min(workers or cpu_workers(device, len(jobs)), len(jobs))
    start = sorted(range(len(jobs)), key=lambda i: -STEP_COST.get(jobs[i].get("method"), 1))  # stable: else as given
    bar = tqdm(total=len(jobs), desc=f"training ({workers} at a time)", unit="model", disable=not progress_bar)
    out = [None] * len(jobs)
    try:
        if workers == 1:
            for i in start:
                out[i] = _timed_train(jobs[i])
                bar.update()
            return out
        threads = max(1, torch.get_num_threads() // workers)
        pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker,
                                   initargs=(threads,))
        try:
            futures = {pool.submit(_timed_train, jobs[i]): i for i in start}
            for f in as_completed(futures):
                out[futures[f]] = f.result()  # a job's error is raised here, with its traceback
                bar.update()
        except BaseException:  # an error or an interrupt: start nothing more (finished epochs are checkpointed)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return out
    finally:
        bar.close()
