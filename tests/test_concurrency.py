"""Concurrent use of one runs/ folder: two processes that train the same model, or run a notebook into the same
folder, take turns (``modgap.io.file_lock``) instead of clobbering each other's checkpoints or results."""
import multiprocessing as mp
import time


def _train(ckpt, out):
    import torch

    from modgap.training import fit

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    X = torch.randn(64, 4, generator=torch.Generator().manual_seed(1))

    def step(idx, progress):
        time.sleep(0.01)  # slow enough for the two processes to overlap
        return net(X[idx]).pow(2).mean(), {}

    res = fit({"net": net}, step, len(X), epochs=6, batch_size=8, checkpoint=ckpt, progress_bar=False, seed=3)
    out.put((res.epochs_run, [p.detach().sum().item() for p in net.parameters()]))


def test_two_processes_training_one_model_take_turns_and_agree(tmp_path):
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_train, args=(tmp_path / "model.pt", out)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    runs = sorted(r[0] for r in results)
    assert runs == [0, 6]  # one trained all six epochs, the other waited and loaded its checkpoint
    assert results[0][1] == results[1][1]  # and both hold the same weights


def test_two_runs_into_one_folder_take_turns(tmp_path, make_notebook, monkeypatch):
    import threading

    import nbformat

    from modgap.tooling.runner import run_notebook

    monkeypatch.setenv("MODGAP_SMOKE", "0")
    body = ("import pathlib, time\nout = pathlib.Path(output_dir)\n(out / 'a.csv').write_text(str(x))\ntime.sleep(2)\n"
            "(out / 'b.csv').write_text(str(x))")
    nb = make_notebook(tmp_path / "01_t.ipynb", "x = 1\noutput_dir = 'runs/t'", body)
    folder = tmp_path / "runs" / "01_t"
    errors = []

    def run(x):
        try:
            run_notebook(nb, folder, {"x": x})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(x,)) for x in (1, 2)]
    for t in threads:
        t.start()
        time.sleep(0.3)
    for t in threads:
        t.join(120)
    assert not errors
    a, b = (folder / "a.csv").read_text(), (folder / "b.csv").read_text()
    assert a == b  # both files from one run: the runs did not interleave
    executed = nbformat.read(folder / "01_t.ipynb", as_version=4)
    assert f"x = {a}" in executed.cells[1].source  # and the executed notebook is that run's too
