"""What ``modgap.matching.occlusion.occluded_scores`` saves notebook 08 per matcher, measured in this one run: 08's
evaluation cell as it was (E's features of the whole probes and gallery for rank-1, AP and the feature gap, then
``occluded_hits`` (since removed), which embedded the whole probes and gallery again) against today's (the whole features given to
``occluded_scores`` as ``clean``), in alternation, ``--rounds`` times, mean reported.

    .venv/bin/python benchmarks/occluded_scoring.py [--rounds 3]

The models are untrained siamese and MarrNet matchers on Raman–IR and photo–sketch at the default sizes (400 test
identities; an embedding costs the same trained or not), six fractions as in 08, torch on two threads as in a
notebook's kernel on an idle 2-core machine. A benchmark, not a test: it asserts nothing
(``tests/test_occlusion.py`` checks that both give the same scores).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from modgap.data.occluders import occlude
from modgap.matching.methods import MatchConfig, Matcher
from modgap.matching.occlusion import occluded_scores
from modgap.matching.tasks import load_task
from modgap.metrics.identification import per_query_scores
from modgap.seed import seeded

FRACTIONS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]


def before(model, T, kind):
    fa, fb = model.embed_all(T.probe, "a"), model.embed_all(T.gallery, "b")
    clean = per_query_scores(fa, fb, T.probe_ids, T.gallery_ids)
    gallery = model.embed_all(T.gallery, "b")  # occluded_hits as it was: the whole sides embedded again
    hits = np.stack([per_query_scores(model.embed_all(occlude(T.probe, f, kind, seed=0)[0] if f > 0 else T.probe, "a"),
                                      gallery, T.probe_ids, T.gallery_ids)["rank1"] for f in FRACTIONS])
    return clean, hits


def after(model, T, kind):
    fa, fb = model.embed_all(T.probe, "a"), model.embed_all(T.gallery, "b")
    scores = occluded_scores(model, T, FRACTIONS, kind, seed=0, clean=(fa, fb))
    return scores[0], np.stack([q["rank1"] for q in scores])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(2)
    models = []
    for task in ("Raman-IR", "photo-sketch"):
        T = load_task(task)
        for method in ("siamese", "marrnet"):
            with seeded(0):
                m = Matcher(MatchConfig(method=method, dim=T.dim, n_ids=T.n_ids, perceptual="ssim"))
            models.append((m, T, "band" if T.dim == 1 else "patches"))
    seconds = {"before": [], "after": []}
    for r in range(args.rounds):
        for name, fn in ((("before", before), ("after", after)) if r % 2 == 0 else (("after", after), ("before", before))):
            t0 = time.perf_counter()
            for m, T, kind in models:
                fn(m, T, kind)
            seconds[name].append(time.perf_counter() - t0)
    b, a = np.mean(seconds["before"]), np.mean(seconds["after"])
    print(f"{len(models)} matchers, {len(FRACTIONS)} fractions: before {b:.2f} s, after {a:.2f} s, {b / a:.2f}x "
          f"({args.rounds} rounds, alternating)")


if __name__ == "__main__":
    main()
