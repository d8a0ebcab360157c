import pytest

from modgap.tooling.params import ParameterError, check_parameters, require, smoke_default


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
