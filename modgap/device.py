"""Device choice: CUDA when there is one, else CPU; never assume CUDA."""
from __future__ import annotations


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
