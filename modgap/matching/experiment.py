"""The matching experiment of notebooks 02 (cmUNet), 03 (accuracy) and 04 (occlusion): their settings,
the list of models to train, train-or-load, and training many models side by side.

The three notebooks keep models in one folder under names that say what they were trained with — the
data (task, data seed, number of training pairs), the method, the model seed, the epochs and a digest of
every other setting, including which perceptual network φ — so a later notebook reuses what an earlier one
trained, and trains it itself when run alone or with other settings.

``train_all`` trains a list of such models in parallel processes on a CPU: these models are too small to
keep two threads busy, so two 1-thread trainings side by side finish sooner than one 2-thread training after
another (on 2 cores, the ten visible–thermal models of notebook 03: 54 s instead of 68 s;
``benchmarks/parallel_training.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from modgap.executor import train_unfinished
from modgap.matching.methods import METHODS, PRECISIONS, MatchConfig, train_matcher, train_perceptual_net
from modgap.matching.tasks import MATCHING_TASKS, MatchingTask
from modgap.parameters import at_least, one_of, subset_of
from modgap.seed import DATA_DRAWS, data_seed

#: The parameters that notebooks 02, 03 and 04 share, with their rules (``modgap.check_parameters``).
PARAMETERS = dict(seed=int, device=str, smoke=(bool, type(None)), tasks=subset_of(MATCHING_TASKS), epochs=at_least(1),
                  spectra_epochs=at_least(1), n_train_images=at_least(1), n_test_images=at_least(1),
                  n_train_measurements=at_least(1), fresh_spectra=bool, fashion_root=str, models_dir=str,
                  workers=at_least(0), perceptual=one_of("phi", "ssim"), patience=at_least(0),
                  data_draw=one_of(*DATA_DRAWS), precision=one_of(*PRECISIONS), output_dir=str)


@dataclass(frozen=True)
class MatchingSettings:
    """What a matching notebook trains and evaluates, derived from its parameters by ``settings``."""

    tasks: list[str]
    data_seed: int
    sizes: dict  # keyword arguments of ``load_task``
    epochs: dict  # task -> epochs
    seeds: list[int]  # model seeds
    phi_epochs: int
    models_dir: Path
    perceptual: str
    fashion_root: str = ""  # "" = the subset shipped in data/
    fresh_spectra: bool = False  # new simulated training spectra every epoch
    patience: int = 0  # > 0: early stopping on a validation split, ``epochs`` the most (MatchConfig.patience)
    data_draw: str = "per-seed"  # modgap.seed.DATA_DRAWS: each model seed its own data, or all the run's
    precision: str = "auto"  # MatchConfig.precision: "bf16" trains under bf16 autocast on a CPU too (results/held_out.md)

    def data_seed_of(self, model_seed: int) -> int:
        """The seed that draws the data model seed ``model_seed`` trains and is tested on."""
        return data_seed(model_seed, self.data_seed, self.data_draw)

    def task_args(self, model_seed: int | None = None) -> dict:
        """Keyword arguments of ``load_task`` (besides the task's name) for the data of ``model_seed``
        (``None``: the run's own data seed)."""
        seed = self.data_seed if model_seed is None else self.data_seed_of(model_seed)
        return {"seed": seed, **self.sizes, "fashion_root": self.fashion_root or None}


def settings(P, smoke: bool) -> MatchingSettings:
    """The settings of notebooks 02–04 from their parameters ``P`` (``PARAMETERS`` and, in 03 and 04,
    ``n_seeds``). Smoke mode: tiny data, one epoch, one seed, and its own models folder."""
    from modgap.paths import output_dir

    if smoke:
        sizes = dict(n_train_measurements=2, n_test_measurements=1, n_train_images=64, n_test_images=64)
    else:
        sizes = dict(n_train_measurements=P.n_train_measurements, n_test_measurements=4,
                     n_train_images=P.n_train_images, n_test_images=P.n_test_images)
    epochs = {t: 1 if smoke else (P.spectra_epochs if t == "Raman-IR" else P.epochs) for t in P.tasks}
    n_seeds = 1 if smoke else getattr(P, "n_seeds", 1)
    return MatchingSettings(tasks=list(P.tasks), data_seed=P.seed, sizes=sizes, epochs=epochs,
                            seeds=list(range(P.seed, P.seed + n_seeds)), phi_epochs=1 if smoke else 2,
                            models_dir=output_dir(P.models_dir, smoke=smoke), perceptual=P.perceptual,
                            fashion_root=P.fashion_root, fresh_spectra=P.fresh_spectra,
                            patience=getattr(P, "patience", 0), data_draw=getattr(P, "data_draw", "per-seed"),
                            precision=getattr(P, "precision", "auto"))


#: φ's version, part of its name and so of the names of the MarrNets trained with it (``perceptual_net``).
PHI_VERSION = 2


@dataclass(frozen=True)
class PerceptualNet:
    """φ and the name that says what it was trained on (part of the names of the models trained with it)."""

    name: str
    net: nn.Module


def perceptual_net(T: MatchingTask, ckpt_dir: Path, seed: int, epochs: int, device=None) -> PerceptualNet:
    """φ for task ``T``: trained on raw samples of both modalities, or loaded from ``ckpt_dir``. Its name ends in
    ``PHI_VERSION``: φ of version 1 trained on the notebook kernel's threads (one per free core), so it depended on
    how busy the machine was; since version 2 it trains on one thread, as every model does."""
    name = f"phi-{T.key}-s{seed}-e{epochs}-v{PHI_VERSION}"
    net = train_perceptual_net(torch.cat([T.a, T.b]), torch.cat([T.phi_labels, T.phi_labels]), T.dim,
                               int(T.phi_labels.max()) + 1, epochs=epochs, seed=seed, device=device,
                               checkpoint=Path(ckpt_dir) / f"{name}.pt")
    return PerceptualNet(name, net)


def load_data(S: MatchingSettings) -> dict[tuple[str, int], MatchingTask]:
    """``(task, model seed) -> MatchingTask``: the data each model seed trains and is tested on
    (``S.data_draw``); a draw shared by several seeds is loaded once and shared."""
    from modgap.matching.tasks import load_task

    drawn: dict[tuple[str, int], MatchingTask] = {}
    for task in S.tasks:
        for s in S.seeds:
            d = S.data_seed_of(s)
            if (task, d) not in drawn:
                drawn[task, d] = load_task(task, **S.task_args(s))
    return {(task, s): drawn[task, S.data_seed_of(s)] for task in S.tasks for s in S.seeds}


def perceptual_nets(data: dict[tuple[str, int], MatchingTask], S: MatchingSettings, device=None) -> dict[tuple[str, int], PerceptualNet]:
    """φ of every data draw in ``data`` (keyed like it): trained on that draw, with its data seed, or loaded."""
    nets: dict[str, PerceptualNet] = {}
    for T in data.values():
        if T.key not in nets:
            nets[T.key] = perceptual_net(T, S.models_dir, T.data_seed, S.phi_epochs, device=device)
    return {key: nets[T.key] for key, T in data.items()}


def checkpoint_path(T: MatchingTask, cfg: MatchConfig, ckpt_dir: Path, phi: PerceptualNet | None = None) -> Path:
    """``<task>-d<data seed>-<pairs>-<method>-s<seed>-e<epochs>-<digest>.pt``; the digest covers every
    other setting of ``cfg``, the training code's version and φ's name when the method uses φ."""
    context = {"phi": phi.name} if cfg.uses_phi and phi is not None else {}
    return Path(ckpt_dir) / f"{T.key}-{cfg.method}-s{cfg.seed}-e{cfg.epochs}-{cfg.digest(**context)}.pt"


def _config(T: MatchingTask, method: str, seed: int, epochs: int, **config) -> MatchConfig:
    return MatchConfig(method=method, dim=T.dim, epochs=epochs, n_ids=T.n_ids, seed=seed, **config)


def train_or_load(T: MatchingTask, method: str, seed: int, epochs: int, ckpt_dir: Path, phi: PerceptualNet | None = None,
                  device=None, progress_bar: bool = False, **config):
    """Return ``(model, FitResult)``; ``FitResult.epochs_run == 0`` means it was loaded from its checkpoint.
    ``config``: other ``MatchConfig`` settings (e.g. ``perceptual="ssim"``); they are part of the checkpoint's name."""
    cfg = _config(T, method, seed, epochs, **config)
    return train_matcher(cfg, T.a, T.b, T.ids, phi=phi.net if cfg.uses_phi and phi is not None else None,
                         device=device, progress_bar=progress_bar, checkpoint=checkpoint_path(T, cfg, ckpt_dir, phi),
                         redraw=T.redraw)


def job_checkpoint(job: dict) -> Path:
    """Where the model of a ``train_or_load`` job (its keyword arguments) is kept."""
    j = {k: v for k, v in job.items() if k not in ("device", "progress_bar")}
    T, phi, ckpt_dir = j.pop("T"), j.pop("phi", None), j.pop("ckpt_dir")
    return checkpoint_path(T, _config(T, j.pop("method"), j.pop("seed"), j.pop("epochs"), **j), ckpt_dir, phi)


def matching_jobs(data: dict[tuple[str, int], MatchingTask], methods, S: MatchingSettings,
                  phi: dict[tuple[str, int], PerceptualNet] | None = None, **config) -> dict[tuple[str, str, int], dict]:
    """The ``train_or_load`` arguments of every (task, method, seed), keyed by that triple, in the order of a
    results table: task, then method, then seed. ``data`` and ``phi`` are keyed by (task, model seed), as
    ``load_data`` and ``perceptual_nets`` return them. φ and ``perceptual`` go only to the methods with cmUNet's
    perceptual term (MarrNet), so the baselines' checkpoints do not change with them. ``config``: other
    ``MatchConfig`` settings for every job (e.g. ``gap_closing="atp+cu"``)."""
    phi = phi or {}
    jobs = {}
    for name in S.tasks:
        for method in methods:
            for s in S.seeds:
                T = data[name, s]
                jobs[name, method, s] = dict(
                    T=T, method=method, seed=s, epochs=S.epochs[name], ckpt_dir=S.models_dir,
                    **(dict(phi=phi.get((name, s)), perceptual=S.perceptual) if METHODS[method].perceptual else {}),
                    **(dict(fresh_data=True) if S.fresh_spectra and T.redraw is not None else {}),
                    **(dict(patience=S.patience) if S.patience else {}),
                    **(dict(precision=S.precision) if S.precision != "auto" else {}), **config)
    return jobs


def cpu_workers(device=None, n_jobs: int | None = None) -> int:
    """How many training processes ``train_all`` runs at once: one per free core on a CPU
    (``modgap.executor.local_workers``; these models are too small to keep two threads busy: on 2 cores, two
    1-thread MarrNet trainings side by side take 65 ms per step each, one 2-thread training 80 ms), one on a GPU."""
    from modgap.executor import local_workers

    return 1 if torch.device(device or "cpu").type != "cpu" else local_workers(0, n_jobs or 1 << 30)


def train_all(jobs: list[dict], workers: int = 0, device=None, progress_bar: bool = True,
              scheduler: str | None = None) -> list[tuple[float, int]]:
    """Train every job (keyword arguments of ``train_or_load`` other than ``device``) into its checkpoint,
    ``workers`` at a time, the costliest methods (``Method.step_cost``) first, where ``scheduler`` says
    (``modgap.executor``: local processes by default, a Dask cluster with ``$MODGAP_SCHEDULER``).

    ``workers = 0`` picks ``cpu_workers``; ``1`` trains here, one after the other. With more, each job runs in
    a fresh process. Every job trains on one thread, wherever it runs. A job whose checkpoint is complete is not
    run at all (``modgap.executor.train_unfinished``) and an interrupted one resumes from its last epoch.
    Returns ``(seconds, epochs trained)`` per job, in order (``(0.0, 0)`` for a complete one); load the models
    afterwards with ``train_or_load`` (same arguments). On an accelerator, without a cluster, the jobs run here
    one after another (processes would only queue on it)."""
    if workers < 0:
        raise ValueError(f"workers must be >= 0 (0: one per free core), got {workers}")
    jobs = [{**job, "device": device} for job in jobs]
    on_accelerator = torch.device(device or "cpu").type != "cpu"
    start = sorted(range(len(jobs)), key=lambda i: -METHODS[jobs[i]["method"]].step_cost)  # stable: else as given
    names = [f"{j['T'].key}-{j['method']}-s{j['seed']}" for j in jobs]
    return train_unfinished(train_or_load, jobs, [job_checkpoint(j) for j in jobs], [j["epochs"] for j in jobs],
                            workers=1 if on_accelerator else workers, scheduler=scheduler, start=start, names=names,
                            progress_bar=progress_bar, desc="training")
