"""modgap: reproducible notebooks about the modality gap.

A thin library that the notebooks import. Shared by both tracks: :mod:`modgap.data` (data builders),
:mod:`modgap.models`, :mod:`modgap.losses`, :mod:`modgap.metrics`, :mod:`modgap.training` (the fit loop) and
the small helpers below. The two tracks: :mod:`modgap.matching` (cmUNet/MarrNet, notebooks 02–04) and
:mod:`modgap.contrastive` (closing the gap in two-tower models, 05, 06 and 09; 08 connects the two). Around the notebooks:
:mod:`modgap.tooling` (runner, sweeps, assignments, the book, the ledger).
"""
from modgap import io  # noqa: F401  (modgap.io.save_figure, save_results)
from modgap.device import describe_device, get_device
from modgap.parameters import ParameterError, check_parameters, require, smoke_default, start_run
from modgap.paths import DATA_DIR, REPO_ROOT, RUNS_DIR, output_dir
from modgap.seed import seed_everything

__version__ = "0.1.0"
__all__ = ["seed_everything", "get_device", "describe_device", "check_parameters", "require",
           "smoke_default", "start_run", "ParameterError", "output_dir", "REPO_ROOT", "DATA_DIR", "RUNS_DIR"]
