"""Tooling around the notebooks, the same for both tracks.

- ``params``: checking a notebook's papermill parameters, and ``start_run`` (smoke mode, output folder, device);
- ``runner``: ``python -m modgap.tooling.runner`` executes the numbered notebooks (``make run``);
- ``sweep``: ``python -m modgap.tooling.sweep`` runs one notebook over a YAML grid, locally or on Dask;
- ``assignments``: student notebooks generated from the solution notebooks (``make assignments``);
- ``checks``: the check cells of the exercises;
- ``report``: the HTML report of the last run (``make report``).
"""
