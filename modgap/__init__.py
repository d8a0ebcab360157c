"""modgap: reproducible notebooks about the modality gap.

A thin library that the notebooks import: data builders (:mod:`modgap.data`), metrics
(:mod:`modgap.metrics`), and the small helpers every notebook needs.
"""
from modgap.device import describe_device, get_device
from modgap.params import ParameterError, check_parameters, require, smoke_default
from modgap.paths import DATA_DIR, REPO_ROOT, RUNS_DIR, output_dir
from modgap.seed import seed_everything
from modgap import io  # noqa: E402  (modgap.io.save_figure, save_results)

__version__ = "0.1.0"
__all__ = ["seed_everything", "get_device", "describe_device", "check_parameters", "require",
           "smoke_default", "ParameterError", "output_dir", "REPO_ROOT", "DATA_DIR", "RUNS_DIR"]
