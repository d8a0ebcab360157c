import pytest

from modgap.parameters import ParameterError, check_parameters, require, smoke_default


def test_valid_parameters_returned_and_int_accepted_for_float():
    ns = {"seed": 1, "lr": 1, "name": "x", "__builtins__": {}, "In": [], "_i1": ""}
    p = check_parameters(ns, seed=int, lr=float, name=str)
    assert (p.seed, p.lr, p.name) == (1, 1.0, "x")
    assert isinstance(p.lr, float)


def test_unknown_parameter_is_named_with_the_valid_ones():
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) 'epohcs'.*takes: epochs, seed"):
        check_parameters({"seed": 0, "epochs": 1, "epohcs": 3}, seed=int, epochs=int)


def test_wrong_type_is_named():
    with pytest.raises(ParameterError, match=r"'epochs' must be int, got str \('3'\)"):
        check_parameters({"epochs": "3"}, epochs=int)
    with pytest.raises(ParameterError, match="must be int, got bool"):
        check_parameters({"epochs": True}, epochs=int)


def test_missing_parameter_and_optional_none():
    with pytest.raises(ParameterError, match="'seed' is missing"):
        check_parameters({}, seed=int)
    assert check_parameters({"smoke": None}, smoke=(bool, type(None))).smoke is None


def test_rerunning_the_check_cell_ignores_later_user_names():
    ns = {"seed": 0}
    check_parameters(ns, seed=int)
    ns["my_result"] = 3.0  # defined by a later cell in an interactive session
    assert check_parameters(ns, seed=int).seed == 0


def test_require_and_smoke_default(monkeypatch):
    require(True, "never")
    with pytest.raises(ParameterError, match="boom"):
        require(False, "boom")
    monkeypatch.setenv("MODGAP_SMOKE", "1")
    assert smoke_default(None) is True
    assert smoke_default(False) is False
    monkeypatch.setenv("MODGAP_SMOKE", "yes please")
    with pytest.raises(ParameterError, match="MODGAP_SMOKE"):
        smoke_default(None)


def test_rules_name_the_parameter_and_the_rule():
    from modgap.parameters import at_least, between, numbers, one_of, positive, subset_of

    spec = dict(epochs=at_least(1), n=between(100, 200), tau=positive(), kind=one_of("a", "b"),
                tasks=subset_of(["x", "y"]), fractions=numbers(lambda f: 0 <= f < 1, "in [0, 1)"))
    good = {"epochs": 3, "n": 150, "tau": 0.5, "kind": "a", "tasks": ["y"], "fractions": [0, 0.5]}
    assert check_parameters(dict(good), **spec).tau == 0.5
    for name, bad, text in [("epochs", -3, "must be >= 1, got -3"), ("n", 99, r"must be in \[100, 200\]"),
                            ("tau", 0.0, "must be > 0"), ("kind", "c", r"must be one of \['a', 'b'\]"),
                            ("tasks", [], "must be a non-empty subset"), ("tasks", ["z"], "must be a non-empty subset"),
                            ("fractions", [0, 1.5], r"must be a non-empty list of numbers in \[0, 1\)"),
                            ("fractions", ["a"], "must be a non-empty list")]:
        with pytest.raises(ParameterError, match=f"'{name}' {text}"):
            check_parameters({**good, name: bad}, **spec)
    with pytest.raises(ParameterError, match="'epochs' must be int, got str"):
        check_parameters({**good, "epochs": "3"}, **spec)  # the type is checked before the rule


def test_float_parameters_written_as_yaml_exponents_are_floats():
    # papermill's `-p temperature 1e-2` arrives as the string '1e-2' (YAML 1.1)
    assert check_parameters({"temperature": "1e-2"}, temperature=float).temperature == 0.01
    with pytest.raises(ParameterError, match="'temperature' must be float, got str"):
        check_parameters({"temperature": "cold"}, temperature=float)
    assert check_parameters({"name": "1e-2"}, name=str).name == "1e-2"  # strings stay strings


def test_start_run_resolves_smoke_output_and_device(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from modgap.parameters import start_run

    monkeypatch.setenv("MODGAP_SMOKE", "1")
    smoke, out, device = start_run(SimpleNamespace(smoke=None, output_dir=str(tmp_path / "nb"), device="cpu", seed=1))
    assert smoke is True and out == tmp_path / "nb-smoke" and out.is_dir() and device.type == "cpu"


def test_a_profile_reaches_a_notebook_opened_in_jupyterlab(capsys):
    # make lab PROFILE=classroom: JupyterLab's kernel knows its notebook (JPY_SESSION_NAME), the profile applies
    from modgap.parameters import profile_parameters

    env = {"MODGAP_PROFILE": "classroom", "JPY_SESSION_NAME": "/x/notebooks/05_closing_the_gap.ipynb"}
    values = profile_parameters(env)
    assert values["n_seeds"] == 1 and values["epochs"] == 4 and values["output_dir"] == "runs/classroom/05_closing_the_gap"
    assert "profile classroom" in capsys.readouterr().out
    assert profile_parameters({"MODGAP_PROFILE": "default", "JPY_SESSION_NAME": "a.ipynb"}) == {}
    assert profile_parameters({"MODGAP_PROFILE": "classroom"}) == {}  # no notebook name: as written, and it says so
    assert "does not know its notebook" in capsys.readouterr().out
    ns = {"n_seeds": 5, "epochs": 8}
    import os
    old = dict(os.environ)
    os.environ.update(env)
    try:
        from modgap.parameters import check_parameters

        assert check_parameters(ns, n_seeds=int, epochs=int).n_seeds == 1  # the profile's value wins
    finally:
        os.environ.clear()
        os.environ.update(old)


def test_a_malformed_profile_is_named(tmp_path):
    from modgap.parameters import ParameterError
    from modgap.tooling.runner import load_profile

    bad = tmp_path / "bad.yaml"
    bad.write_text("runs_dir: runs/x\nnotebooks:\n  05_closing_the_gap: {epochs: [1,\n")
    with pytest.raises(ParameterError, match=r"bad.yaml: not valid YAML \(line"):
        load_profile(str(bad))


def _defaults(stem: str) -> dict:
    """A notebook's parameters cell, as the values it assigns (literals only, as papermill needs)."""
    import ast

    import nbformat

    from modgap.paths import REPO_ROOT

    nb = nbformat.read(REPO_ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return {t.id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body
            for t in node.targets if isinstance(node, ast.Assign)}


def test_notebook_08s_defaults_are_03s_and_05s_so_it_loads_their_models():
    """08 declares 03's matching parameters and 05's two-tower ones (papermill needs literals in each notebook);
    this keeps them in step — a default changed in one and not the other would make 08 retrain instead of load."""
    from modgap.contrastive.experiment import PARAMETERS as TOWERS
    from modgap.matching.experiment import PARAMETERS as MATCHING

    d3, d5, d8 = _defaults("03_marrnet_vs_baselines"), _defaults("05_closing_the_gap"), _defaults("08_connecting_the_lines")
    shared = [k for k in MATCHING if k not in ("output_dir", "workers") and k in d3]
    assert {k: d8[k] for k in shared} == {k: d3[k] for k in shared}
    # 08's seeds are 03's; 05 may train more towers (its claims need them, results/power/power.md): 08 loads the
    # first of them, one checkpoint per seed, and trains none
    assert d8["n_seeds"] == d3["n_seeds"] <= d5["n_seeds"]
    towers = [k for k in TOWERS if k not in ("output_dir", "epochs", "seed", "device", "smoke", "n_seeds")]
    assert {k: d8[k] for k in towers} == {k: d5[k] for k in towers}
    assert d8["tower_epochs"] == d5["epochs"]


def test_papermill_reads_every_name_of_every_parameters_cell():
    """papermill skips a line it cannot parse (an apostrophe in a comment does it) with only a log warning, and the
    parameter then cannot be set from ``-p``: every name the parameters cell assigns must be among papermill's."""
    import ast

    import nbformat

    from modgap.tooling.runner import declared_parameters, numbered_notebooks

    for nb in numbered_notebooks():
        cell = next(c for c in nbformat.read(nb, 4).cells if "parameters" in c.metadata.get("tags", []))
        assigned = {t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign) for t in node.targets}
        assert assigned and assigned == set(declared_parameters(nb)), nb.name
