"""The tiers as reusable Terraform modules (`terraform-modules/`, `python main.py export-modules`)."""
from __future__ import annotations

import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from modules.operations.terraform import init, run as terraform

COMMITTED = ROOT / "terraform-modules"
EXAMPLES = ROOT / "examples"
TIER_MODULES = ("state", "network", "existing_network", "cluster_infra", "security", "credentials", "bootstrap", "control_plane",
                "compute")


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh export from the constructs as they are now."""
    from modules.operations.export import export_modules

    out = tmp_path_factory.mktemp("export") / "terraform-modules"
    export_modules(out)
    return out


def module(folder: Path, name: str) -> dict[str, Any]:
    return json.loads((folder / name / "main.tf.json").read_text())


def test_the_committed_modules_are_what_the_constructs_export(exported: Path) -> None:
    fresh = sorted(p.relative_to(exported) for p in exported.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(COMMITTED) for p in COMMITTED.rglob("*")
                       if p.is_file() and ".terraform" not in p.parts)
    assert fresh == committed, "run `python main.py export-modules` and commit terraform-modules/"
    stale = [str(path) for path in fresh if (exported / path).read_text() != (COMMITTED / path).read_text()]
    assert not stale, f"stale exported modules {stale}: run `python main.py export-modules` and commit the result"


def test_one_module_per_tier_without_provider_or_backend(exported: Path) -> None:
    assert sorted(p.name for p in exported.iterdir()) == sorted(TIER_MODULES)
    for name in TIER_MODULES:
        document = module(exported, name)
        assert "provider" not in document
        assert document["terraform"] == {
            "required_version": ">= 1.3",
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.0, < 6.0"}}}
        assert '"//":' not in json.dumps(document), "cdktf metadata left in the module"


def test_every_input_and_output_is_typed_and_described(exported: Path) -> None:
    for name in TIER_MODULES:
        document = module(exported, name)
        for key, variable in document["variable"].items():
            assert variable.get("type") and variable.get("description"), f"{name}: variable {key}"
        for key, output in document["output"].items():
            assert output.get("description"), f"{name}: output {key}"


def test_inputs_are_the_tiers_and_the_configurations(exported: Path) -> None:
    inputs = {name: set(module(exported, name)["variable"]) for name in TIER_MODULES}
    assert inputs["network"] == {"infra_id", "availability_zones", "vpc_cidr", "subnet_bits", "nat_gateways",
                                 "network_acl", "restricted_network"}
    assert {"vpc_id", "public_subnet_ids", "private_subnet_ids", "publish", "public_zone_id"} <= inputs["cluster_infra"]
    assert {"vpc_id", "vpc_cidr", "iam_profile"} <= inputs["security"]
    assert {"target_group_arns", "master_security_group_id", "bootstrap_ignition_url"} <= inputs["bootstrap"]
    assert {"worker_replicas", "worker_instance_profile_name", "private_subnet_ids"} <= inputs["compute"]
    # Defaults are the configuration's.
    network = module(exported, "network")["variable"]
    assert network["vpc_cidr"]["default"] == "10.0.0.0/16" and network["subnet_bits"]["default"] == 12
    assert "default" not in network["availability_zones"]
    assert module(exported, "compute")["variable"]["worker_replicas"]["default"] == 3
    assert module(exported, "cluster_infra")["variable"]["public_zone_id"]["default"] is None


def test_per_az_rule_and_machine_resources_iterate_over_inputs(exported: Path) -> None:
    """One module serves 1, 2 or 3 AZs and any worker count: nothing is fixed at export time."""
    network = module(exported, "network")["resource"]
    for kind, name in (("aws_subnet", "public"), ("aws_subnet", "private"), ("aws_route_table", "private"),
                       ("aws_route_table_association", "private"), ("aws_nat_gateway", "nat"),
                       ("aws_eip", "nat"), ("aws_route", "private_nat")):
        assert "var.availability_zones" in network[kind][name]["for_each"], f"{kind}.{name}"
    assert "var.nat_gateways" in network["aws_nat_gateway"]["nat"]["for_each"]
    subnet = network["aws_subnet"]["private"]["cidr_block"]
    assert subnet == "${cidrsubnet(var.vpc_cidr, local.subnet_newbits, (each.value + 3))}"

    security = module(exported, "security")["resource"]
    rules = security["aws_vpc_security_group_ingress_rule"]["cluster"]["for_each"]
    assert len(rules) == 47 and "MasterIngressEtcd" in rules  # the rule table, keyed by rule name

    workers = module(exported, "compute")["resource"]["aws_instance"]["worker"]
    assert "range(var.worker_replicas)" in workers["for_each"]
    assert "length(var.private_subnet_ids)" in workers["for_each"]
    attachments = module(exported, "control_plane")["resource"]["aws_lb_target_group_attachment"]["master"]
    assert "keys(var.target_group_arns)" in attachments["for_each"]


def test_switches_are_inputs_not_export_time_choices(exported: Path) -> None:
    infra = module(exported, "cluster_infra")["resource"]
    assert infra["aws_lb"]["external"]["count"] == '${var.publish == "External" ? 1 : 0}'
    assert 'var.publish == "External"' in infra["aws_lb_target_group"]["api"]["for_each"]
    security = module(exported, "security")
    policy = security["resource"]["aws_iam_role_policy"]["master"]["policy"]
    assert policy == "${local.master_policies[var.iam_profile]}"
    assert set(security["locals"]["master_policies"]) == {"least_privilege", "documented"}
    role = security["resource"]["aws_iam_role"]["master"]["assume_role_policy"]
    assert "ec2.${data.aws_partition.current.dns_suffix}" in role


def test_variable_validations_reject_bad_values(exported: Path) -> None:
    checks = {
        name: [v["condition"] for v in variable.get("validation", [])]
        for name, variable in module(exported, "network")["variable"].items()}
    assert any("cidrhost(var.vpc_cidr" in c for c in checks["vpc_cidr"])
    assert any("distinct(var.availability_zones)" in c for c in checks["availability_zones"])
    assert all(c.startswith("${") and c.endswith("}") for cs in checks.values() for c in cs)


def test_each_module_readme_lists_its_inputs_and_outputs(exported: Path) -> None:
    row = re.compile(r"^\| `([a-z0-9_]+)` \|", re.MULTILINE)
    for name in TIER_MODULES:
        text = (exported / name / "README.md").read_text()
        inputs_part, outputs_part = text.split("## Outputs")
        document = module(exported, name)
        assert row.findall(inputs_part) == sorted(document["variable"])
        assert row.findall(outputs_part) == sorted(document["output"])
        for part, columns in ((inputs_part, 5), (outputs_part, 2)):  # every row has the header's columns
            for line in part.splitlines():
                if line.startswith("|"):
                    assert len(re.split(r"(?<!\\)\|", line)) - 2 == columns, line


@pytest.mark.terraform
def test_modules_and_examples_validate_offline(exported: Path, tmp_path: Path) -> None:
    shutil.copytree(exported, tmp_path / "terraform-modules")
    shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns(".terraform*"))
    folders = [tmp_path / "terraform-modules" / name for name in TIER_MODULES]
    folders += [tmp_path / "examples" / "consumer", tmp_path / "examples" / "remote-state"]
    for folder in folders:  # init one at a time (shared plugin cache); validate side by side
        init(folder, backend=False)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda f: terraform(["validate", "-json", "-no-color"], f, check=False), folders))
    for folder, result in zip(folders, results):
        report = json.loads(result.stdout)
        assert report["valid"] and report["error_count"] == 0, f"{folder.name}: {report['diagnostics']}"
        assert report["warning_count"] == 0, f"{folder.name}: {report['diagnostics']}"
