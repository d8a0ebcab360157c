"""Why a run on another CPU does not reproduce the committed references digit for digit, measured on one machine.

PyTorch's CPU convolutions come from oneDNN, which picks its kernels by the instruction set the CPU has (AVX2,
AVX-512, ...) and by its caches; kernels that add in another order round differently in the last bits. A training
of hundreds of steps carries such a difference forward, so two CPUs train two different models from the same code,
data and seeds. This script shows it on one machine by restricting oneDNN's instruction set
(``ONEDNN_MAX_CPU_ISA``, the documented switch), one setting per process, and training the same MarrNet of notebook
03's default profile (seed 0, φ included) under each:

- ``initial``: the largest difference of the *untrained* model's probe embeddings from those of the machine's own
  kernels, relative to their largest value (the rounding level);
- ``trained``: the same after training, and the trained model's rank-1 on its test probes (percent);
- the machine's own kernels twice, to show that a rerun on one machine is exact.

    .venv/bin/python results/across_cpus/cpu_kernels.py     (about 3 minutes on 2 cores; writes cpu_kernels.csv here)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
TASKS = ["photo-sketch", "Raman-IR"]
SETTINGS = [("machine", None), ("machine, again", None), ("AVX2", "AVX2")]  # (label, ONEDNN_MAX_CPU_ISA)


def worker(out: Path) -> None:
    """Train notebook 03's default MarrNet (seed 0) on each task with this process's kernels; save embeddings."""
    import numpy as np
    import torch

    torch.set_num_threads(1)  # training holds one thread anyway (modgap.training.fit); the embeddings too
    from modgap.matching.experiment import perceptual_net, train_or_load
    from modgap.matching.methods import Matcher
    from modgap.matching.tasks import load_task
    from modgap.metrics.identification import per_query_scores
    from modgap.seed import seeded

    result = {"torch_cpu_capability": torch.backends.cpu.get_cpu_capability()}
    for task in TASKS:
        T = load_task(task, seed=0)  # the default sizes of 02–04
        epochs = 2 if task == "Raman-IR" else 9  # 03's defaults: spectra_epochs, epochs
        phi = perceptual_net(T, out, T.data_seed, epochs=2)
        model, _ = train_or_load(T, "marrnet", seed=0, epochs=epochs, ckpt_dir=out, phi=phi, perceptual="phi")
        with seeded(0):
            initial = Matcher(model.cfg, phi.net)
        np.save(out / f"{task}-initial.npy", initial.embed_all(T.probe, "a"))
        trained = model.embed_all(T.probe, "a")
        np.save(out / f"{task}-trained.npy", trained)
        result[task] = 100 * per_query_scores(trained, model.embed_all(T.gallery, "b"), T.probe_ids,
                                              T.gallery_ids)["rank1"].mean()
    (out / "result.json").write_text(json.dumps(result))


def main() -> None:
    import numpy as np
    import pandas as pd

    rows, folders = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, isa in SETTINGS:
            out = Path(tmp) / label.replace(", ", "-")
            out.mkdir()
            env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
            if isa:
                env["ONEDNN_MAX_CPU_ISA"] = isa
            subprocess.run([sys.executable, __file__, "--worker", str(out)], env=env, check=True)
            folders[label] = out
        base = folders["machine"]
        for label, out in folders.items():
            result = json.loads((out / "result.json").read_text())
            for task in TASKS:
                diff = {}  # the largest difference, relative to the largest value of the machine's own embeddings
                for stage in ("initial", "trained"):
                    ours, theirs = np.load(base / f"{task}-{stage}.npy"), np.load(out / f"{task}-{stage}.npy")
                    diff[stage] = float(np.abs(theirs - ours).max() / np.abs(ours).max())
                rows.append({"kernels": label, "ONEDNN_MAX_CPU_ISA": dict(SETTINGS)[label] or "",
                             "torch_cpu_capability": result["torch_cpu_capability"], "task": task,
                             "initial_max_rel_diff": diff["initial"], "trained_max_rel_diff": diff["trained"],
                             "rank1": result[task]})
    table = pd.DataFrame(rows)
    table.to_csv(HERE / "cpu_kernels.csv", index=False)
    print("| kernels | task | untrained embeddings: largest difference (relative) | trained embeddings: largest "
          "difference (relative) | rank-1 (%) |\n|---|---|---|---|---|")
    for r in table.itertuples():
        print(f"| {r.kernels} | {r.task} | {r.initial_max_rel_diff:.1e} | {r.trained_max_rel_diff:.1e} | {r.rank1:.2f} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(Path(sys.argv[2]))
    else:
        main()
