"""modgap.executor: the same trainings on a Dask LocalCluster as in local processes — the same checkpoints, bit for
bit — and a job that fails or kills its worker is named in the error."""
import os

import pytest
import torch

from modgap.executor import run_jobs, scheduler_address
from modgap.matching.experiment import train_all, train_or_load
from modgap.matching.tasks import load_task

pytest.importorskip("distributed")


def _weights(model) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_a_two_worker_local_cluster_trains_the_same_models_as_local_processes(tmp_path):
    T = load_task("visible-thermal", n_train_images=16, n_test_images=8)
    jobs = [dict(T=T, method=m, seed=s, epochs=1, perceptual="ssim") for m, s in [("siamese", 0), ("marrnet", 0), ("mmd", 2)]]
    local = [{**j, "ckpt_dir": tmp_path / "local"} for j in jobs]
    dask = [{**j, "ckpt_dir": tmp_path / "dask"} for j in jobs]
    assert [e for _, e in train_all(local, workers=2, progress_bar=False)] == [1] * 3
    assert [e for _, e in train_all(dask, workers=2, progress_bar=False, scheduler="local:2")] == [1] * 3
    # each worker had one thread, as each local process did (make test runs with one thread per process)
    assert sorted(p.name for p in (tmp_path / "dask").glob("*.pt")) == sorted(p.name for p in (tmp_path / "local").glob("*.pt"))
    for a, b in zip(local, dask):
        wa, wb = _weights(train_or_load(**a)[0]), _weights(train_or_load(**b)[0])
        assert wa.keys() == wb.keys()
        assert all(torch.equal(wa[k], wb[k]) for k in wa), f"{a['method']} seed {a['seed']} differs"
    # a second pass on the cluster finds every checkpoint complete and loads it
    assert [e for _, e in train_all(dask, workers=2, progress_bar=False, scheduler="local:2")] == [0] * 3


def test_the_environment_variable_chooses_the_cluster_and_a_failing_job_is_named(monkeypatch):
    monkeypatch.setenv("MODGAP_SCHEDULER", "local:1")
    assert scheduler_address() == "local:1" and scheduler_address("") == ""
    with pytest.raises(RuntimeError, match=r"job bogus-one failed on the Dask cluster.*ValueError.*scheduler must be"):
        run_jobs(scheduler_address, ["local", "bogus"], names=["fine", "bogus-one"], progress_bar=False)
    monkeypatch.setenv("MODGAP_SCHEDULER", "host:8786")
    with pytest.raises(ValueError, match=r"from \$MODGAP_SCHEDULER"):
        run_jobs(abs, [1], progress_bar=False)


def test_a_job_that_kills_its_worker_is_named(tmp_path):
    # os._exit ends the worker process mid-job. Dask restarts the worker and retries a job up to its
    # allowed-failures (3 by default; 0 here, to keep the test short): then the error names the job.
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with pytest.raises(RuntimeError, match="job suicide failed on the Dask cluster.*KilledWorker"):
            run_jobs(os._exit, [3], names=["suicide"], scheduler="local:1", progress_bar=False)


def test_training_workers_draw_no_progress_bars_of_their_own():
    """A worker's per-epoch bars would go to the runner's log (the notebook shows the executor's bar of jobs)."""
    import modgap.training

    shown = "__import__('modgap.training', fromlist=['fit']).PROGRESS_BARS"  # eval'd in the worker (a builtin pickles)
    assert modgap.training.PROGRESS_BARS is True
    assert run_jobs(eval, [shown, shown], workers=2, progress_bar=False) == [False, False]
    assert run_jobs(eval, [shown], scheduler="local:1", progress_bar=False) == [False]
