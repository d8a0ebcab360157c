"""train_all: models trained side by side in worker processes are the models one process trains."""
import numpy as np
import pytest
import torch

from modgap.matching.experiment import cpu_workers, train_all, train_or_load
from modgap.matching.tasks import load_task


def test_parallel_training_matches_one_process_and_then_loads(tmp_path):
    T = load_task("visible-thermal", n_train_images=64, n_test_images=16)
    jobs = [dict(T=T, method=m, seed=s, epochs=1, ckpt_dir=tmp_path / "par") for m, s in [("transfer", 0), ("siamese", 1)]]
    done = train_all(jobs, workers=2, progress_bar=False)
    assert [epochs for _, epochs in done] == [1, 1]
    assert [epochs for _, epochs in train_all(jobs, workers=2, progress_bar=False)] == [0, 0]  # now loaded

    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, threads // 2))  # what each of the two workers had
    try:
        for job in jobs:
            ref, res = train_or_load(**{**job, "ckpt_dir": tmp_path / "one"})
            par, loaded = train_or_load(**job)
            assert res.epochs_run == 1 and loaded.epochs_run == 0
            x = torch.cat([T.probe, T.gallery])
            np.testing.assert_allclose(par.embed_all(x, "a"), ref.embed_all(x, "a"), rtol=0, atol=1e-5)
    finally:
        torch.set_num_threads(threads)


def test_worker_count_and_bad_input(monkeypatch):
    assert cpu_workers("cpu", n_jobs=1) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the cores this process may keep busy (else the free ones)
    assert cpu_workers("cpu") == 3 and cpu_workers("cpu", n_jobs=2) == 2
    assert cpu_workers("cuda") == 1
    assert train_all([]) == []
    with pytest.raises(ValueError, match="workers must be"):
        train_all([{}], workers=-1)


def test_matching_jobs_are_in_table_order_and_marrnet_settings_stay_with_marrnet(tmp_path):
    from modgap.matching.experiment import MatchingSettings, PerceptualNet, matching_jobs

    T = load_task("visible-thermal", n_train_images=16, n_test_images=8)
    S = MatchingSettings(tasks=["visible-thermal"], data_seed=0, sizes={}, epochs={"visible-thermal": 3}, seeds=[0, 1],
                         phi_epochs=1, models_dir=tmp_path, perceptual="ssim")
    phi = PerceptualNet("phi-test", torch.nn.Identity())
    jobs = matching_jobs({("visible-thermal", 0): T, ("visible-thermal", 1): T}, ["siamese", "marrnet"], S,
                         {("visible-thermal", 0): phi, ("visible-thermal", 1): phi})
    assert list(jobs) == [("visible-thermal", "siamese", 0), ("visible-thermal", "siamese", 1),
                          ("visible-thermal", "marrnet", 0), ("visible-thermal", "marrnet", 1)]
    assert [j.get("perceptual") for j in jobs.values()] == [None, None, "ssim", "ssim"]
    assert [j.get("phi") for j in jobs.values()] == [None, None, phi, phi]  # the baselines never see φ
    assert all(j["epochs"] == 3 and j["T"] is T and j["ckpt_dir"] == tmp_path for j in jobs.values())


def test_the_precision_parameter_reaches_every_job_and_auto_keeps_the_checkpoint_names(tmp_path):
    """``precision="auto"`` (the notebooks' default) adds nothing to a job, so its checkpoint is the one trained
    before the parameter existed; "bf16" goes to every job and names its own checkpoints."""
    from dataclasses import replace

    from modgap.matching.experiment import MatchingSettings, job_checkpoint, matching_jobs

    T = load_task("visible-thermal", n_train_images=16, n_test_images=8)
    S = MatchingSettings(tasks=["visible-thermal"], data_seed=0, sizes={}, epochs={"visible-thermal": 3}, seeds=[0],
                         phi_epochs=1, models_dir=tmp_path, perceptual="ssim")
    data = {("visible-thermal", 0): T}
    auto = matching_jobs(data, ["siamese", "mmd"], S)
    bf16 = matching_jobs(data, ["siamese", "mmd"], replace(S, precision="bf16"))
    assert all("precision" not in j for j in auto.values()) and all(j["precision"] == "bf16" for j in bf16.values())
    assert {job_checkpoint(j) for j in auto.values()}.isdisjoint(job_checkpoint(j) for j in bf16.values())


def test_each_model_seed_draws_its_own_data_unless_the_draw_is_fixed(tmp_path):
    from dataclasses import replace

    from modgap.matching.experiment import MatchingSettings, load_data, matching_jobs

    S = MatchingSettings(tasks=["visible-thermal", "Raman-IR"], data_seed=3, seeds=[3, 4], phi_epochs=1,
                         sizes=dict(n_train_images=16, n_test_images=8, n_train_measurements=2, n_test_measurements=1),
                         epochs={"visible-thermal": 1, "Raman-IR": 1}, models_dir=tmp_path, perceptual="ssim")
    data = load_data(S)
    assert [(k, T.data_seed) for k, T in data.items()] == [(("visible-thermal", 3), 3), (("visible-thermal", 4), 4),
                                                          (("Raman-IR", 3), 3), (("Raman-IR", 4), 4)]
    a, b = data["visible-thermal", 3], data["visible-thermal", 4]
    assert not torch.equal(a.probe, b.probe)  # another draw: other images, other renderings
    assert a.key != b.key  # so their models have their own checkpoints
    jobs = matching_jobs(data, ["siamese"], S)
    assert jobs["visible-thermal", "siamese", 4]["T"] is b and jobs["Raman-IR", "siamese", 3]["T"] is data["Raman-IR", 3]
    fixed = load_data(replace(S, data_draw="fixed"))  # the behaviour before: every seed on the run's draw, loaded once
    assert fixed["visible-thermal", 3] is fixed["visible-thermal", 4] and fixed["visible-thermal", 4].data_seed == 3
    assert torch.equal(fixed["visible-thermal", 3].probe, a.probe)  # seed 3's own draw is the same either way
    with pytest.raises(ValueError, match="data_draw must be one of"):
        load_data(replace(S, data_draw="per-task"))


def test_settings_follow_the_parameters_and_smoke_mode(tmp_path):
    from types import SimpleNamespace

    from modgap.matching.experiment import settings

    P = SimpleNamespace(tasks=["Raman-IR", "visible-nir"], seed=3, epochs=7, spectra_epochs=2, n_train_images=100,
                        n_test_images=50, n_train_measurements=5, models_dir=str(tmp_path / "m"), perceptual="phi",
                        n_seeds=2, fashion_root="", fresh_spectra=False)
    S = settings(P, smoke=False)
    assert S.epochs == {"Raman-IR": 2, "visible-nir": 7} and S.seeds == [3, 4] and S.data_seed == 3
    assert S.task_args() == dict(seed=3, n_train_measurements=5, n_test_measurements=4, n_train_images=100,
                                 n_test_images=50, fashion_root=None)
    assert S.models_dir == tmp_path / "m" and S.models_dir.is_dir()
    small = settings(P, smoke=True)
    assert small.epochs == {"Raman-IR": 1, "visible-nir": 1} and small.seeds == [3]
    assert small.models_dir == tmp_path / "m-smoke"  # smoke models never mix with full-run models
    del P.n_seeds  # notebook 02 has no n_seeds: one model seed
    assert settings(P, smoke=False).seeds == [3]


def test_a_task_from_another_image_set_has_its_own_checkpoint_key(tmp_path):
    from modgap.data.fashion_mnist import load_fashion_mnist, write_idx

    images, labels = load_fashion_mnist()
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images[:500])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels[:500].astype(np.uint8))
    other = load_task("visible-nir", n_train_images=20, n_test_images=10, fashion_root=str(tmp_path))
    shipped = load_task("visible-nir", n_train_images=20, n_test_images=10)
    assert other.key == "visible-nir-d0-20-fm500" and shipped.key == "visible-nir-d0-20"
    with pytest.raises(ValueError, match="n_train_images must be a positive integer"):
        load_task("visible-nir", n_train_images=-3)


def test_fresh_spectra_draw_new_measurements_of_the_same_molecules_each_epoch(tmp_path):
    from modgap.matching.methods import MatchConfig, train_matcher

    T = load_task("Raman-IR", n_train_measurements=2, n_test_measurements=1)
    a1, b1 = T.redraw(1)
    assert a1.shape == T.a.shape and b1.shape == T.b.shape
    assert not torch.equal(a1, T.a) and torch.equal(a1, T.redraw(1)[0])  # new, and the same for the same epoch
    seen = []

    class Spy:  # records which epochs were asked for
        def __call__(self, epoch):
            seen.append(epoch)
            return T.redraw(epoch)

    cfg = MatchConfig(method="siamese", dim=1, epochs=3, width=4, embed_dim=8, n_ids=T.n_ids, fresh_data=True)
    train_matcher(cfg, T.a, T.b, T.ids, redraw=Spy(), progress_bar=False)
    assert seen == [1, 2]  # epoch 0 trains on the task's own draw
    with pytest.raises(ValueError, match="needs redraw"):
        train_matcher(cfg, T.a, T.b, T.ids, progress_bar=False)


def test_finished_checkpoints_are_not_sent_to_any_worker(tmp_path, monkeypatch):
    import modgap.executor

    T = load_task("visible-thermal", n_train_images=64, n_test_images=16)
    jobs = [dict(T=T, method="siamese", seed=s, epochs=1, ckpt_dir=tmp_path) for s in (0, 1)]
    assert train_all(jobs[:1], workers=1, progress_bar=False)[0][1] == 1  # seed 0 finished
    sent, real = [], modgap.executor.run_jobs

    def spy(fn, js, **kw):
        sent.append([(j["seed"], j["epochs"]) for j in js])
        return real(fn, js, **kw)

    monkeypatch.setattr(modgap.executor, "run_jobs", spy)
    done = train_all(jobs + [dict(jobs[0], epochs=2)], workers=1, progress_bar=False)
    assert sent == [[(1, 1), (0, 2)]]  # not the finished one; the others in their order
    assert done[0] == (0.0, 0) and [e for _, e in done[1:]] == [1, 2]
    assert train_all(jobs, workers=2, progress_bar=False) == [(0.0, 0), (0.0, 0)] and sent[-1] == []  # nothing to start


def test_train_unfinished_counts_an_early_stop_as_finished_and_refuses_bad_checkpoints(tmp_path):
    from types import SimpleNamespace

    from modgap.executor import train_unfinished

    stopped, partway, bad, absent = (tmp_path / f"{n}.pt" for n in ("stopped", "partway", "bad", "absent"))
    torch.save({"modules": {}, "epoch": 3, "early": {"stopped": True}}, stopped)  # stopped early at 3 of 5
    torch.save({"modules": {}, "epoch": 3}, partway)  # 3 of 5: resumes

    def train(n):
        return None, SimpleNamespace(epochs_run=n)

    jobs = [{"n": 0}, {"n": 2}, {"n": 5}]
    done = train_unfinished(train, jobs, [stopped, partway, absent], [5, 5, 5], workers=1, progress_bar=False)
    assert done[0] == (0.0, 0) and [e for _, e in done[1:]] == [2, 5]
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match=r"(?s)1 checkpoint\(s\) cannot be used.*bad\.pt"):
        train_unfinished(train, jobs, [stopped, bad, absent], [5, 5, 5], workers=1, progress_bar=False)
    with pytest.raises(ValueError, match="one checkpoint and one epoch count per job"):
        train_unfinished(train, jobs, [stopped], [5], workers=1)
