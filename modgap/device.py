"""Device choice: CUDA when there is one, else CPU; never assume CUDA."""
from __future__ import annotations

from contextlib import contextmanager


def get_device(device: str = "auto"):
    """Return a ``torch.device``.

    ``"auto"`` picks ``cuda`` when a GPU is visible, else ``cpu``. ``"cpu"``, ``"cuda"`` and
    ``"cuda:N"`` are taken literally; asking for CUDA on a machine without it is an error that
    says so (rather than a crash deep inside training).
    """
    import torch

    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'auto', 'cpu' or 'cuda', got {device!r}")
    name = device.strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device={device!r} was requested but no CUDA device is available here; "
                "use device='auto' or 'cpu'"
            )
        dev = torch.device(name)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) are visible"
            )
        return dev
    raise ValueError(f"unknown device {device!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:N'")


def native_bf16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX-512 BF16 or AMX, as oneDNN reports it). Without it, bf16
    autocast on a CPU emulates the type and ran about 10x slower than float32 (docs/speed.md)."""
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without the probe
        return False


def training_precision(precision: str = "auto", device="auto") -> str:
    """``"bf16"`` or ``"fp32"``: what training on ``device`` (a name or a ``torch.device``) computes in for
    ``precision`` (``MatchConfig.precision``, ``fit``'s ``amp``): "auto" is bf16 autocast on CUDA and float32 on a
    CPU, "bf16" bf16 autocast anywhere, "fp32" never. A run records it in run.json (docs/speed.md)."""
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be 'auto', 'bf16' or 'fp32', got {precision!r}")
    kind = device.type if hasattr(device, "type") else get_device(device).type
    return "bf16" if precision == "bf16" or (precision == "auto" and kind == "cuda") else "fp32"


def describe_device(dev) -> str:
    """One human line about a device (GPU name and memory, or CPU thread count)."""
    import torch

    if dev.type == "cuda":
        p = torch.cuda.get_device_properties(dev)
        return f"{dev} — {p.name}, {p.total_memory / 2**30:.0f} GiB"
    return f"cpu — {torch.get_num_threads()} threads"


def one_thread():
    """A context in which scikit-learn's and SciPy's native thread pools (OpenMP, BLAS) use one thread.

    On a small CPU it is the safer choice: torch's OpenMP threads keep spinning for a while after every torch
    call, and when the cores are also busy with other work (make test's parallel workers, a sweep, a second
    run) a second pool waits on them: KMeans on 2,000 × 64 embeddings took 0.6–1.3 s instead of ~0.05 s. On an
    idle machine KMeans is as fast either way and the logistic-regression domain classifier is ~3× faster on one
    thread (``benchmarks/evaluation.py``). The results are the same."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


@contextmanager
def one_torch_thread():
    """torch on one thread inside the block, restored after: every training runs in one (``modgap.training.fit``),
    wherever it runs — a worker process, a Dask worker, or a notebook's kernel, whose own thread count follows the
    cores free when it started. Convolutions add in another order on another number of threads, and a training
    carries that rounding into different weights (φ trained on 1 and on 2 threads differs by up to 0.009 in a
    weight), so a model must not depend on how busy the machine was."""
    import torch

    threads = torch.get_num_threads()
    if threads != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if threads != 1:
            torch.set_num_threads(threads)


def _cpu_times(cores: set[int] | None) -> tuple[int, int]:
    """(busy, total) jiffies since boot summed over ``cores`` (``/proc/stat``'s ``cpuN`` lines; None: all)."""
    busy = total = 0
    with open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if not name.startswith("cpu") or name == "cpu":
                continue
            if cores is not None and int(name[3:]) not in cores:
                continue
            v = [int(x) for x in values[:8]]  # user nice system idle iowait irq softirq steal
            total += sum(v)
            busy += sum(v) - v[3] - v[4]
    return busy, total


def _own_seconds() -> float:
    """CPU seconds this process (every thread) has used."""
    import os

    t = os.times()
    return t.user + t.system


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. a container's or Slurm's cpuset), else every core."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def free_cores(window: float = 0.25) -> int:
    """Cores free to this process now: the usable cores less those other processes kept busy over the last
    ``window`` seconds (``/proc/stat``, while this process sleeps; at least 1).

    A torch process with more threads than free cores falls off a cliff: its OpenMP threads spin while they wait
    for each other, and a 2-thread training on 2 cores, one of them taken, ran 2.7× slower instead of 2×
    (``benchmarks/contended_training.py``). The load average would lag by a minute and count the previous
    notebook's kernel; this samples the present. Elsewhere than Linux it returns ``usable_cores()``."""
    import os
    import time

    n = usable_cores()
    try:
        cores = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        cores = None
    try:
        own0, (busy0, total0) = _own_seconds(), _cpu_times(cores)
        time.sleep(window)
        own1, (busy1, total1) = _own_seconds(), _cpu_times(cores)
    except (OSError, ValueError, IndexError):
        return n
    if total1 <= total0:
        return n
    share = (busy1 - busy0) / (total1 - total0)  # of our cores' time, the busy share
    own = (own1 - own0) * os.sysconf("SC_CLK_TCK") / (total1 - total0)  # … of it ours (threads still spinning)
    busy_cores = max(0.0, share - own) * n  # cores other processes kept busy
    return max(1, min(n, round(n - busy_cores)))


def threads_for_this_process() -> int:
    """How many cores this process should keep busy — a notebook kernel's torch threads (``start_run``), the
    one-thread training processes to start (``modgap.executor.local_workers``): ``$OMP_NUM_THREADS`` when the
    user set it, else ``free_cores()``."""
    import os

    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"OMP_NUM_THREADS must be a positive integer, got {value!r}") from None
    return free_cores()
