"""One table of limits (modules/configuration/limits.py), two checks: the same verdict from both.

Every limited configuration key that a module also takes is driven through its
boundary values twice: through the Python loader (`parse_config`), and through
`terraform plan` of the exported module's own variable block (copied verbatim
from terraform-modules/, so what is judged is what users call). The verdicts
must agree, value by value. A variable block alone needs no provider and no
init, so each plan takes a few tens of milliseconds.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, variant
from modules.configuration import ConfigError, parse_config
from modules.configuration.limits import LIMITS, Field, Range
from modules.operations.terraform import run as terraform

MODULES = ROOT / "terraform-modules"
PARITY = [f for f in LIMITS if f.variable is not None]


def boundary_values(field: Field) -> list[Any]:
    """The field's listed cases, plus for a range both sides of each end."""
    values = list(field.cases)
    if isinstance(field.limit, Range):
        values += [field.limit.low - 1, field.limit.low, field.limit.high, field.limit.high + 1]
    return values


def python_refuses(path: str, value: Any) -> bool:
    document = variant()
    *parents, key = path.split(".")
    target = document
    for parent in parents:
        target[parent] = copy.deepcopy(target.get(parent) or {})
        target = target[parent]
    target[key] = value
    try:
        parse_config(document)
    except ConfigError as error:
        return any(problem.startswith(f"{path}:") for problem in error.problems)
    return False


def exported_variable(name: str) -> dict[str, Any]:
    for document in sorted(MODULES.glob("*/main.tf.json")):
        variables = json.loads(document.read_text()).get("variable", {})
        if name in variables:
            return variables[name]
    raise AssertionError(f"no exported module declares variable {name!r}")


def terraform_refuses(folder: Path, name: str, value: Any) -> bool:
    (folder / "case.tfvars.json").write_text(json.dumps({name: value}))
    result = terraform(["plan", "-input=false", "-no-color", "-var-file=case.tfvars.json"], folder, check=False)
    assert result.returncode == 0 or "Invalid value for variable" in result.stderr, result.stderr
    return result.returncode != 0


@pytest.mark.terraform
@pytest.mark.parametrize("field", PARITY, ids=[f.path for f in PARITY])
def test_the_loader_and_the_module_agree_on_every_boundary_value(field: Field, tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(json.dumps({"variable": {field.variable: exported_variable(field.variable)}}))
    verdicts = {json.dumps(value): (python_refuses(field.path, value), terraform_refuses(tmp_path, field.variable, value))
                for value in boundary_values(field)}
    disagreements = {value: f"loader {'refuses' if ours else 'accepts'}, module {'refuses' if theirs else 'accepts'}"
                     for value, (ours, theirs) in verdicts.items() if ours != theirs}
    assert not disagreements, disagreements
    # The cases must exercise the limit: something accepted, something refused.
    assert {ours for ours, _ in verdicts.values()} == {True, False}, verdicts


def test_every_limited_key_has_cases_and_every_module_input_its_validation() -> None:
    for field in PARITY:
        assert len(boundary_values(field)) >= 4, field.path
        variable = exported_variable(field.variable)
        assert len(variable.get("validation", [])) == 1, field.variable
        assert field.limit.describe() in variable["validation"][0]["error_message"]
