"""A notebook's set-up: checking its papermill parameters, starting its run, and the profiles that supply them.
Both tracks and the tooling use it (``modgap.check_parameters`` and ``modgap.start_run`` are these).

Each notebook's ``parameters`` cell holds literals only. The cell after it calls
:func:`check_parameters` with the expected type — or a :class:`Rule` — of every parameter, then
:func:`start_run`. Papermill injects whatever ``-p name value`` it is given as plain assignments, so a
misspelt name would otherwise be silently ignored; here it becomes an error that names it and lists the
valid names, and a value out of range is an error that names the parameter and the rule::

    P = modgap.check_parameters(globals(), seed=int, epochs=at_least(1), perceptual=one_of("phi", "ssim"), ...)
    SMOKE, OUT, DEVICE = modgap.start_run(P)
"""
from __future__ import annotations

import os
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Names IPython puts into a kernel's namespace by itself.
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


_CHECKED = "_modgap_parameters_checked"


class ParameterError(ValueError):
    """A notebook parameter is unknown, has the wrong type, or an invalid value."""


@dataclass(frozen=True)
class Rule:
    """A parameter's type plus a condition on its value; ``text`` completes "parameter 'x' ..."."""

    type: type | tuple
    ok: Callable[[Any], bool]
    text: str


def at_least(low: float, type_: type = int) -> Rule:
    return Rule(type_, lambda v: v >= low, f"must be >= {low}")


def between(low: float, high: float, type_: type = int) -> Rule:
    return Rule(type_, lambda v: low <= v <= high, f"must be in [{low}, {high}]")


def positive(type_: type = float) -> Rule:
    return Rule(type_, lambda v: v > 0, "must be > 0")


def one_of(*choices) -> Rule:
    return Rule(type(choices[0]), lambda v: v in choices, f"must be one of {list(choices)}")


def subset_of(choices) -> Rule:
    choices = list(choices)
    return Rule(list, lambda v: bool(v) and set(v) <= set(choices) and len(set(v)) == len(v),
                f"must be a non-empty subset of {choices}, each at most once")


def numbers(ok: Callable[[float], bool], text: str) -> Rule:
    """A non-empty list of numbers, each passing ``ok`` (``text`` says how, e.g. "in [0, 1)")."""
    return Rule(list, lambda v: bool(v) and all(_is_number(x) and ok(x) for x in v),
                f"must be a non-empty list of numbers {text}")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _type_name(t) -> str:
    if isinstance(t, tuple):
        return " or ".join(_type_name(x) for x in t)
    return "None" if t is type(None) else t.__name__


def _fits(value: Any, expected) -> bool:
    options = expected if isinstance(expected, tuple) else (expected,)
    for t in options:
        if t is type(None) and value is None:
            return True
        if t is float and isinstance(value, int) and not isinstance(value, bool):
            return True  # papermill passes 1 for 1.0
        if t is int and isinstance(value, bool):
            continue  # True is an int in Python, never a sensible count
        if t is not type(None) and isinstance(value, t):
            return True
    return False


def _float_text(value: Any, expected) -> Any:
    """YAML 1.1 (papermill's ``-p``) reads ``1e-2`` as a string: take it as the float it spells."""
    options = expected if isinstance(expected, tuple) else (expected,)
    if float in options and str not in options and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def profile_parameters(environ: Mapping[str, str] | None = None) -> dict:
    """In JupyterLab opened with ``make lab PROFILE=classroom``: the profile's parameters for this notebook.

    ``MODGAP_PROFILE`` names the profile (``default`` or unset: none) and ``JPY_SESSION_NAME`` (set by Jupyter
    Server in every kernel) the notebook; ``check_parameters`` applies them over the parameters cell, as papermill
    would, and says so. A batch run (``make run PROFILE=…``) passes the profile through papermill instead."""
    import os

    env = os.environ if environ is None else environ
    profile = env.get("MODGAP_PROFILE", "")
    if profile in ("", "default"):
        return {}
    stem = os.path.splitext(os.path.basename(env.get("JPY_SESSION_NAME", "")))[0]
    if not stem:
        print(f"[modgap] MODGAP_PROFILE={profile}, but this kernel does not know its notebook: parameters as written")
        return {}
    per_notebook, runs_dir = load_profile(profile)
    values = {**per_notebook.get("all", {}), **per_notebook.get(stem, {})}
    if runs_dir:  # where make run PROFILE=… would write this notebook's outputs
        values.setdefault("output_dir", f"{runs_dir}/{stem}")
    if values:
        print(f"[modgap] profile {profile}: " + ", ".join(f"{k} = {v!r}" for k, v in values.items()))
    return values


def check_parameters(namespace: Mapping[str, Any], **spec) -> types.SimpleNamespace:
    """Validate a notebook's parameters and return them as a namespace.

    ``spec`` maps each parameter name to its type, a tuple of types (``(int, type(None))``) or a
    :class:`Rule` (a type and a condition on the value, e.g. ``at_least(1)``).
    Every user-level name in ``namespace`` (usually ``globals()``) that is not a module, function
    or IPython helper must be in ``spec``; every name in ``spec`` must be present with a fitting type.

    >>> check_parameters({"seed": 0, "epochs": 2}, seed=int, epochs=int).epochs
    2
    """
    problems = []
    # Papermill injects parameters once, before the first run. When the check cell is run again in
    # an interactive session, the names defined since are the user's own, not unknown parameters.
    first_call = not namespace.get(_CHECKED, False)
    if first_call and isinstance(namespace, dict):
        namespace.update({k: v for k, v in profile_parameters().items() if k in spec})
    user = {
        k: v
        for k, v in namespace.items()
        if not k.startswith("_")
        and k not in _IPYTHON_NAMES
        and not isinstance(v, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type))
    }
    unknown = sorted(set(user) - set(spec)) if first_call else []
    if unknown:
        problems.append(
            f"unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"this notebook takes: {', '.join(sorted(spec))}"
        )
    values = {}
    for name, expected in spec.items():
        rule = expected if isinstance(expected, Rule) else None
        expected = rule.type if rule else expected
        if name not in namespace:
            problems.append(f"parameter {name!r} is missing from the parameters cell")
            continue
        v = _float_text(namespace[name], expected)
        if not _fits(v, expected):
            problems.append(f"parameter {name!r} must be {_type_name(expected)}, got {type(v).__name__} ({v!r})")
            continue
        if expected is float and isinstance(v, int):  # 1 → 1.0 where a float is expected
            v = float(v)
        if rule and not rule.ok(v):
            problems.append(f"parameter {name!r} {rule.text}, got {v!r}")
        values[name] = v
    if problems:
        raise ParameterError("; ".join(problems))
    if isinstance(namespace, dict):
        namespace[_CHECKED] = True
    return types.SimpleNamespace(**values)


def require(condition: bool, message: str) -> None:
    """Raise :class:`ParameterError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ParameterError(message)


def smoke_default(smoke: bool | None) -> bool:
    """Resolve the ``smoke`` parameter: ``None`` means "ask the environment" (``MODGAP_SMOKE=1``).

    Smoke mode makes a notebook tiny and fast so that the test suite (nbval) can run all of them.
    """
    if smoke is None:
        env = os.environ.get("MODGAP_SMOKE", "0").strip().lower()
        if env not in {"0", "1", "true", "false", ""}:
            raise ParameterError(f"MODGAP_SMOKE must be 0 or 1, got {env!r}")
        return env in {"1", "true"}
    return bool(smoke)


def start_run(P) -> tuple[bool, os.PathLike, Any]:
    """The first lines every notebook runs after its parameters are checked: resolve smoke mode, create the
    output folder (``-smoke`` appended in smoke mode), pick the device, give torch as many threads as cores are free
    (``modgap.device.free_cores``; ``$OMP_NUM_THREADS`` when set) and seed everything from ``P.seed``.
    Returns ``(smoke, output folder, torch device)`` and prints them on one line."""
    import torch

    from modgap.device import describe_device, get_device, threads_for_this_process
    from modgap.paths import output_dir
    from modgap.seed import seed_everything

    torch.set_num_threads(threads_for_this_process())  # the cores free now (or $OMP_NUM_THREADS): no cliff under load
    smoke = smoke_default(P.smoke)
    out = output_dir(P.output_dir, smoke=smoke)
    device = get_device(getattr(P, "device", "cpu"))
    seed_everything(P.seed)
    print(f"smoke={smoke}  device={describe_device(device)}  output={out.name}")
    return smoke, out, device


#: parameter sets for ``make run PROFILE=…`` (``profiles/<name>.yaml``)
def _profile_dir():
    from modgap.paths import REPO_ROOT

    return REPO_ROOT / "profiles"


def load_profile(name: str, require_notebooks: bool = True) -> tuple[dict, str | None]:
    """``profiles/<name>.yaml`` (or a YAML file's path): ``{notebook stem: {parameter: value}}`` (``all`` for every
    notebook) and the ``runs_dir`` the profile writes to. ``default`` is the notebooks' own parameters, in ``runs/``.

    A profile that would silently run as something else is refused, naming the problem: no notebooks at all, a
    notebook that does not exist (a typo would otherwise be ignored), an entry that is not a mapping of parameters,
    a ``runs_dir`` that is not a folder name."""
    doc = _profile_document(name)
    if name == "default":
        return {}, None
    from modgap.paths import REPO_ROOT

    where = f"profile {name!r}"
    notebooks, runs_dir = doc.get("notebooks"), doc.get("runs_dir")
    if not notebooks and require_notebooks:
        raise ParameterError(f"{where} names no notebooks ('notebooks:' is missing or empty): it would run as the "
                             "default profile; give each notebook's parameters under 'notebooks:'")
    known = sorted(p.stem for p in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    notebooks = notebooks or {}
    if not isinstance(notebooks, dict):
        raise ParameterError(f"{where}: 'notebooks:' must be a mapping of notebook: parameters, got {notebooks!r}")
    unknown = sorted(set(map(str, notebooks)) - set(known) - {"all"})
    if unknown:
        raise ParameterError(f"{where}: unknown notebook(s) {', '.join(map(repr, unknown))} under 'notebooks:'; "
                             f"known: all, {', '.join(known)}")
    for key, values in notebooks.items():
        if not isinstance(values, dict):
            raise ParameterError(f"{where}: notebooks.{key} must be a mapping of parameter: value, got "
                                 f"{type(values).__name__} ({values!r})")
    if runs_dir is not None and (not isinstance(runs_dir, str) or not runs_dir.strip()):
        raise ParameterError(f"{where}: runs_dir must be a folder under runs/ (text, e.g. runs/{Path(name).stem}), "
                             f"got {runs_dir!r}")
    return notebooks, runs_dir


def _profile_document(name: str) -> dict:
    import yaml

    if name == "default":
        return {}
    path = Path(name) if name.endswith((".yaml", ".yml")) and Path(name).is_file() else _profile_dir() / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in _profile_dir().glob("*.yaml"))
        raise ParameterError(f"unknown profile {name!r}; profiles: default, {', '.join(known)}")
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except UnicodeDecodeError:
        raise ParameterError(f"{path}: not a text file (a profile is YAML: runs_dir: and notebooks:)") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        raise ParameterError(f"{path}: not valid YAML" + (f" (line {where.line + 1}, column {where.column + 1})" if where else "")
                             + f": {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("notebooks", {}), dict):
        raise ParameterError(f"{path}: expected 'runs_dir:' and 'notebooks:' with a mapping of parameters per notebook")
    return doc
