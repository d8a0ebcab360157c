"""Checking a notebook's papermill parameters.

Each notebook's ``parameters`` cell holds literals only. The cell after it calls
:func:`check_parameters` with the expected type of every parameter. Papermill injects whatever
``-p name value`` it is given as plain assignments, so a misspelt name would otherwise be silently
ignored; here it becomes an error that names it and lists the valid names.
"""
from __future__ import annotations

import os
import types
from typing import Any, Mapping

# Names IPython puts into a kernel's namespace by itself.
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


_CHECKED = "_modgap_parameters_checked"


class ParameterError(ValueError):
    """A notebook parameter is unknown, has the wrong type, or an invalid value."""


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


def check_parameters(namespace: Mapping[str, Any], **spec) -> types.SimpleNamespace:
    """Validate a notebook's parameters and return them as a namespace.

    ``spec`` maps each parameter name to its type, or a tuple of types (``(int, type(None))``).
    Every user-level name in ``namespace`` (usually ``globals()``) that is not a module, function
    or IPython helper must be in ``spec``; every name in ``spec`` must be present with a fitting type.

    >>> check_parameters({"seed": 0, "epochs": 2}, seed=int, epochs=int).epochs
    2
    """
    problems = []
    # Papermill injects parameters once, before the first run. When the check cell is run again in
    # an interactive session, the names defined since are the user's own, not unknown parameters.
    first_call = not namespace.get(_CHECKED, False)
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
    for name, expected in spec.items():
        if name not in namespace:
            problems.append(f"parameter {name!r} is missing from the parameters cell")
        elif not _fits(namespace[name], expected):
            v = namespace[name]
            problems.append(
                f"parameter {name!r} must be {_type_name(expected)}, got {type(v).__name__} ({v!r})"
            )
    if problems:
        raise ParameterError("; ".join(problems))
    if isinstance(namespace, dict):
        namespace[_CHECKED] = True
    values = {name: namespace[name] for name in spec}
    for name, t in spec.items():  # 1 → 1.0 where a float is expected
        if t is float and isinstance(values[name], int):
            values[name] = float(values[name])
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
