"""One table of limits (modules/configuration/limits.py), two checks: the same verdict from both.

Every limited configuration key that a module also takes is driven through its
boundary values twice: through the Python loader (`parse_config`), and through
`terraform plan` of the exported module's own `variables.tf` (copied verbatim
from terraform-modules/, so what is judged is what users call). The verdicts
must agree, value by value. Variables alone need no provider and no init, and
one plan judges one value of every variable of a module at once, so each
module takes as many plans (of about 0.1 s) as its longest list of values.
The modules' shipped suites (`tests/validations.tftest.hcl`) drive the first
refused values again through `terraform test`.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, variant
from modules.configuration import ConfigError, parse_config
from modules.configuration.limits import LIMITS, VARIABLE_CASES, VARIABLE_LIMITS, Field, Range
from modules.operations.module_tests import EXAMPLES
from modules.operations.terraform import run as terraform

MODULES = ROOT / "terraform-modules"
PARITY = [f for f in LIMITS if f.variable is not None]
# Variables no configuration key carries as such (bootstrap.ign's URL, an existing VPC's subnet
# lists): judged by their limit alone, the table both checks are rendered from.
MODULE_ONLY = [Field(f"var.{name}", name, VARIABLE_LIMITS[name], VARIABLE_CASES[name])
               for name in VARIABLE_LIMITS if name not in {f.variable for f in PARITY}]


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
        # A list's entries are named by index: edge_zones[1].name
        return any(problem.startswith((f"{path}:", f"{path}[")) for problem in error.problems)
    return False


def declaring_module(name: str) -> str:
    """The first exported module (by name) whose variables.tf declares variable `name`."""
    for variables in sorted(MODULES.glob("*/variables.tf")):
        if re.search(rf'^variable "{name}" {{', variables.read_text(), re.MULTILINE):
            return variables.parent.name
    raise AssertionError(f"no exported module declares variable {name!r}")


def terraform_verdicts(folder: Path, values: dict[str, Any]) -> dict[str, bool]:
    """Variable -> refused, from one `terraform plan` of the module's variables.tf alone: each
    value sits on its own line of the var file, and each refusal points at its line."""
    required = {name: EXAMPLES[name] for name in re.findall(r'^variable "([a-z0-9_]+)"', (folder / "variables.tf")
                                                            .read_text(), re.MULTILINE) if name in EXAMPLES}
    lines = [*values, *(name for name in required if name not in values)]
    merged = {**required, **values}
    (folder / "case.tfvars.json").write_text(
        "{\n" + ",\n".join(f"{json.dumps(name)}: {json.dumps(merged[name])}" for name in lines) + "\n}\n")
    result = terraform(["plan", "-input=false", "-no-color", "-json", "-var-file=case.tfvars.json"], folder, check=False)
    refused = set()
    for line in result.stdout.splitlines():
        event = json.loads(line)
        if event.get("type") != "diagnostic" or event["diagnostic"]["severity"] != "error":
            continue
        diagnostic = event["diagnostic"]
        assert diagnostic["summary"] == "Invalid value for variable", diagnostic
        refused.add(lines[diagnostic["range"]["start"]["line"] - 2])  # line 1 is "{"
    assert (result.returncode != 0) == bool(refused), result.stdout
    return {name: name in refused for name in values}


BY_MODULE: dict[str, list[Field]] = {}
for _field in PARITY + MODULE_ONLY:
    BY_MODULE.setdefault(declaring_module(_field.variable), []).append(_field)


@pytest.mark.terraform
@pytest.mark.parametrize("module", sorted(BY_MODULE))
def test_the_loader_and_the_module_agree_on_every_boundary_value(module: str, tmp_path: Path) -> None:
    """For the limited keys whose variable `module` declares: the k-th boundary value of each in one plan."""
    shutil.copy(MODULES / module / "variables.tf", tmp_path)
    fields = BY_MODULE[module]
    columns = {field.path: boundary_values(field) for field in fields}
    disagreements = {}
    for index in range(max(len(values) for values in columns.values())):
        cases = {field: columns[field.path][index] for field in fields if index < len(columns[field.path])}
        theirs = terraform_verdicts(tmp_path, {field.variable: value for field, value in cases.items()})
        for field, value in cases.items():
            ours = field.limit.problem(value) is not None
            if field in PARITY:
                assert python_refuses(field.path, value) == ours, (field.path, value)  # the loader is the table
            if ours != theirs[field.variable]:
                disagreements[f"{field.path}={json.dumps(value)}"] = (
                    f"loader {'refuses' if ours else 'accepts'}, module {'refuses' if theirs[field.variable] else 'accepts'}")
    assert not disagreements, disagreements


def test_every_boundary_list_has_something_accepted_and_something_refused() -> None:
    for field in PARITY + MODULE_ONLY:
        verdicts = {field.limit.problem(value) is None for value in boundary_values(field)}
        assert verdicts == {True, False}, field.path


def test_every_limited_key_has_cases_and_every_module_input_its_validation() -> None:
    assert {f.variable for f in MODULE_ONLY} == {"bootstrap_ignition_url", "public_subnet_ids", "private_subnet_ids"}
    for field in PARITY + MODULE_ONLY:
        assert len(boundary_values(field)) >= 4, field.path
        text = (MODULES / declaring_module(field.variable) / "variables.tf").read_text()
        block = re.search(rf'^variable "{field.variable}" {{\n(.*?)^}}', text, re.MULTILINE | re.DOTALL).group(1)
        assert block.count("validation {") == 1, field.variable
        assert json.dumps(field.limit.describe())[1:-1] in block
