"""Threads follow the cores that are free: a kernel and its training jobs never ask for a core another job holds."""
import os

import pytest
import torch

import modgap.device as device
from modgap.executor import local_workers, run_jobs


def _fake_machine(monkeypatch, others_busy: float, ours: float = 0.0, n: int = 2, tick: int = 100):
    """/proc/stat as a machine of ``n`` cores where other processes keep ``others_busy`` cores and this one ``ours``
    cores busy over the 0.25-s window (jiffies of ``tick`` per second)."""
    window = 0.25 * tick * n  # jiffies of all n cores in the window
    samples = iter([(0, 0), ((others_busy + ours) / n * window, window)])
    own = iter([0.0, ours * 0.25])
    monkeypatch.setattr(device, "usable_cores", lambda: n)
    monkeypatch.setattr(device, "_cpu_times", lambda cores: next(samples))
    monkeypatch.setattr(device, "_own_seconds", lambda: next(own))
    monkeypatch.setattr("time.sleep", lambda s: None)
    monkeypatch.setattr(os, "sysconf", lambda name: tick)


@pytest.mark.parametrize("others, ours, free", [(0.0, 0.0, 2), (1.0, 0.0, 1), (2.0, 0.0, 1), (0.3, 0.0, 2),
                                                 (0.0, 1.0, 2), (1.0, 1.0, 1), (0.9, 0.0, 1)])
def test_free_cores_counts_what_other_processes_keep_busy(monkeypatch, others, ours, free):
    _fake_machine(monkeypatch, others, ours)
    assert device.free_cores() == free  # our own spinning threads are not "another job"; at least one core


def test_free_cores_on_this_machine_is_between_one_and_the_usable_cores():
    assert 1 <= device.free_cores(window=0.05) <= device.usable_cores()


def test_omp_num_threads_wins_and_a_bad_one_is_named(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert device.threads_for_this_process() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="OMP_NUM_THREADS must be a positive integer, got 'two'"):
        device.threads_for_this_process()


def test_workers_follow_the_free_cores(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(device, "free_cores", lambda window=0.25: 1)
    assert local_workers(0, 10) == 1  # one core taken: one worker, not two fighting for it
    monkeypatch.setattr(device, "free_cores", lambda window=0.25: 2)
    assert local_workers(0, 10) == 2 and local_workers(0, 1) == 1 and local_workers(3, 10) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # make test's share of the cores for each test process
    assert local_workers(0, 10) == 1


def test_every_job_trains_on_one_thread_wherever_it_runs():
    """So that a model's weights do not depend on how many cores were free: in this process and in a worker."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert run_jobs(eval, ["__import__('torch').get_num_threads()"] * 2, workers=1, progress_bar=False) == [1, 1]
        assert torch.get_num_threads() == 2  # restored after the jobs
        assert run_jobs(eval, ["__import__('torch').get_num_threads()"] * 2, workers=2, progress_bar=False) == [1, 1]
    finally:
        torch.set_num_threads(threads)
