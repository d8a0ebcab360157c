"""Tooling around the notebooks, the same for both tracks. (A notebook's own set-up — checking its parameters,
``start_run`` — is ``modgap.parameters``, which the tracks import too.)

- ``runner``: ``python -m modgap.tooling.runner`` executes the numbered notebooks (``make run``);
- ``stages``: seeds added where a family is undecided, the runner's side of ``modgap.metrics.sequential``
  (a profile's ``sequential:`` block);
- ``sweep``: ``python -m modgap.tooling.sweep`` runs one notebook over a YAML grid, locally or on Dask;
- ``assignments``: student notebooks generated from the solution notebooks (``make assignments``);
- ``exercise_checks``: the graded check cells of the exercises (nbgrader);
- ``book``: a Jupyter Book of one run, offline (``make book``; ``make report`` is the same);
- ``ledger``: the claims ledger published into ``results/`` and the README (``make reference``);
- ``timings``: the timing block of docs/speed.md, from ``results/timings.json`` (``benchmarks/timings.py``);
- ``forest``: forest plots of estimates with intervals.
"""
