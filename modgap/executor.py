"""Where many small trainings run: one after another here, side by side in local processes, or on a Dask cluster.

Both tracks train lists of small models (03 trains 60 matchers at the default sizes, 150 in the full profile; 05
and 08 sixteen or more two-tower models). ``run_jobs(fn, jobs)`` runs ``fn(job)`` for every job and returns the
results in the order of ``jobs``; what each job writes (a checkpoint, atomically, under a lock, named by everything
that trained it: ``modgap.training``) is the product, so the only thing a cluster's workers must share with the
notebook is the runs folder.

Where the jobs go (``scheduler``, else the environment variable ``MODGAP_SCHEDULER``):

- unset or ``""``: local. ``workers = 1`` runs here, one job after another; more run in fresh processes (spawned,
  with ``die_with_parent``), ``workers = 0`` picking one per core free now (``modgap.device.free_cores``: on a
  machine where another job holds a core, one fewer).
- ``"local"`` or ``"local:N"``: a Dask ``LocalCluster`` of N one-thread worker processes (N = ``workers`` or one per
  free core) for the length of the call — the same path as a real cluster, on this machine.
- ``"tcp://host:8786"`` (any Dask address): the jobs run on that scheduler's workers (e.g. started by
  ``dask-jobqueue`` on Slurm; README, "Beyond one machine"). A job whose worker dies is run again on
  another (up to Dask's ``distributed.scheduler.allowed-failures``, 3 by default; the training resumes from its
  last checkpointed epoch), a job that raises is retried once, and then the error names the job.

Every job trains on one torch thread, wherever it runs (here, a local worker, a Dask worker; ``modgap.training.fit``
holds it, so a model trained in a notebook's kernel without the executor does too): these models are too
small to keep two threads busy, a thread that waits on a taken core makes the others spin (the cliff under load),
and so a model's weights never depend on how many cores were free or where it trained.

``train_unfinished(train, jobs, checkpoints, epochs)`` is what both tracks' trainings call: it reads every
checkpoint first, names every unreadable one at once, and sends ``run_jobs`` only the jobs whose checkpoint has
not finished; a finished one is answered ``(0.0, 0)`` where it was read.

Jobs must be picklable (dictionaries of tensors, numbers and settings are) and ``fn`` importable (a module-level
function), because they travel to other processes.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from modgap.device import one_torch_thread

SCHEDULER_ENV = "MODGAP_SCHEDULER"


def scheduler_address(scheduler: str | None = None) -> str:
    """The scheduler in force: ``scheduler`` if given, else ``$MODGAP_SCHEDULER``, else ``""`` (local)."""
    value = os.environ.get(SCHEDULER_ENV, "") if scheduler is None else scheduler
    value = value.strip()
    if value and not (value == "local" or value.startswith("local:") or "://" in value):
        raise ValueError(f"scheduler must be '', 'local', 'local:N' or a Dask address such as tcp://host:8786; "
                         f"got {value!r} (from {'the argument' if scheduler is not None else '$' + SCHEDULER_ENV})")
    return value


def local_workers(workers: int, n_jobs: int) -> int:
    """Processes for ``n_jobs`` local jobs: ``workers``, or with 0 one per core that is free now
    (``modgap.device.free_cores``; at most ``$OMP_NUM_THREADS`` when set, as ``make test`` sets it to share the
    cores between its test processes), never more than jobs. Every job runs on one thread, so how many run at
    once changes the time, never the models."""
    from modgap.device import threads_for_this_process

    if workers < 0:
        raise ValueError(f"workers must be >= 0 (0: one per free core), got {workers}")
    if not workers:
        workers = threads_for_this_process() if n_jobs > 1 else 1  # $OMP_NUM_THREADS, else the free cores
    return max(1, min(workers, n_jobs))


def die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``): a training worker
    whose kernel was killed — by a SIGKILL of the runner, say — stops instead of training on, unseen, for minutes.
    Its finished epochs are checkpointed, so a rerun resumes. Elsewhere (macOS, Windows) it does nothing."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before the call: nothing would signal us
        os.kill(os.getpid(), signal.SIGTERM)


def _as_a_training_worker() -> None:
    """What every worker process sets before its jobs: torch on one thread, and no per-epoch progress bar (it
    would flood the runner's or the worker's log; the notebook shows the executor's bar of jobs)."""
    import torch

    import modgap.training

    torch.set_num_threads(1)
    modgap.training.PROGRESS_BARS = False


def _init_worker() -> None:
    _as_a_training_worker()
    die_with_parent()


def _on_dask_worker(fn: Callable, job):
    """``fn(job)`` on a Dask worker (whose torch would otherwise use every core), as a training worker."""
    _as_a_training_worker()
    return fn(job)


def run_jobs(fn: Callable, jobs: Sequence, workers: int = 0, scheduler: str | None = None, start: Sequence[int] | None = None,
             names: Sequence[str] | None = None, progress_bar: bool = True, desc: str = "training") -> list:
    """``[fn(job) for job in jobs]``, run where ``scheduler`` says (module docstring); ``start``: the order to start
    them in (e.g. costliest first; default as given); ``names``: how an error names a job (default its index)."""
    from tqdm.auto import tqdm

    jobs = list(jobs)
    if not jobs:
        return []
    address = scheduler_address(scheduler)
    start = list(range(len(jobs))) if start is None else list(start)
    if sorted(start) != list(range(len(jobs))):
        raise ValueError(f"start must be an ordering of the {len(jobs)} jobs, got {start}")
    names = [str(i) for i in range(len(jobs))] if names is None else [str(n) for n in names]
    out: list = [None] * len(jobs)
    if address:
        return _run_on_dask(fn, jobs, workers, address, start, names, progress_bar, desc)
    n = local_workers(workers, len(jobs))
    bar = tqdm(total=len(jobs), desc=f"{desc} ({n} at a time)", unit="job", disable=not progress_bar)
    try:
        if n == 1:
            with one_torch_thread():  # in this process, each job as it runs on a worker
                for i in start:
                    out[i] = fn(jobs[i])
                    bar.update()
            return out
        pool = ProcessPoolExecutor(n, mp_context=get_context("spawn"), initializer=_init_worker)
        try:
            futures = {pool.submit(fn, jobs[i]): i for i in start}
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


def train_unfinished(train: Callable, jobs: list[dict], checkpoints: list[Path], epochs: list[int], workers: int = 0,
                     scheduler: str | None = None, start=None, names=None, progress_bar: bool = True,
                     desc: str = "training") -> list[tuple[float, int]]:
    """``timed_training(train, job)`` of every job whose checkpoint (``checkpoints[i]``) has not finished its
    ``epochs[i]`` (nor stopped early), where ``run_jobs`` says; ``(0.0, 0)`` for each finished
    one, which is not sent anywhere: a notebook that loads the models an earlier one trained starts no worker
    (loading them there and again in the notebook took longer than the loading itself). Every unreadable
    checkpoint is reported at once, before anything trains (``refuse_bad_checkpoints``)."""
    from functools import partial

    from modgap.training import refuse_bad_checkpoints, timed_training

    checkpoints = [Path(c) for c in checkpoints]
    if not len(jobs) == len(checkpoints) == len(epochs):
        raise ValueError(f"one checkpoint and one epoch count per job: {len(jobs)} jobs, {len(checkpoints)} "
                         f"checkpoints, {len(epochs)} epoch counts")
    progress = refuse_bad_checkpoints(checkpoints)
    todo = [i for i, (c, e) in enumerate(zip(checkpoints, epochs))
            if not (c in progress and (progress[c][0] >= e or progress[c][1]))]
    out: list[tuple[float, int]] = [(0.0, 0)] * len(jobs)
    start = list(range(len(jobs))) if start is None else list(start)
    position = {i: k for k, i in enumerate(todo)}
    ran = run_jobs(partial(timed_training, train), [jobs[i] for i in todo], workers=workers, scheduler=scheduler,
                   start=[position[i] for i in start if i in position],
                   names=[names[i] for i in todo] if names is not None else None, progress_bar=progress_bar, desc=desc)
    for i, r in zip(todo, ran):
        out[i] = r
    return out


def _run_on_dask(fn, jobs, workers, address, start, names, progress_bar, desc):
    from tqdm.auto import tqdm

    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as exc:
        raise ImportError(f"scheduler {address!r} needs Dask: pip install distributed") from exc
    cluster = None
    if address.startswith("local"):
        n = int(address.split(":", 1)[1]) if ":" in address else local_workers(workers, len(jobs))
        if n < 1:
            raise ValueError(f"a local Dask cluster needs at least one worker, got {address!r}")
        # the scheduler's HTTP server on any free port: two clusters at once never clash over 8787
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster)
    else:
        client = Client(address, timeout="30s")
    n_workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
    bar = tqdm(total=len(jobs), desc=f"{desc} (Dask, {n_workers} workers)", unit="job", disable=not progress_bar)
    out: list = [None] * len(jobs)
    stamp = time.time_ns()
    try:
        futures = {client.submit(_on_dask_worker, fn, jobs[i], key=f"modgap-{desc}-{names[i]}-{stamp}",
                                 pure=False, retries=1, priority=len(jobs) - rank): i
                   for rank, i in enumerate(start)}
        for f in dask_completed(list(futures)):
            i = futures[f]
            try:
                out[i] = f.result()
            except Exception as exc:
                client.cancel(list(futures))
                raise RuntimeError(f"job {names[i]} failed on the Dask cluster at {address}: "
                                   f"{type(exc).__name__}: {exc}") from exc
            bar.update()
        return out
    finally:
        bar.close()
        client.close()
        if cluster is not None:
            cluster.close()
