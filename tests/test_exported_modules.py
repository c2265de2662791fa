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
TIER_MODULES = ("state", "network", "existing_network", "cluster_infra", "security", "credentials", "bootstrap",
                "control_plane", "compute", "ingress")
STANDARD_FILES = {"versions.tf", "variables.tf", "main.tf", "outputs.tf", "README.md"}


@pytest.fixture(scope="session")
def rendered() -> dict[str, Any]:
    """Every module as the export renders it before writing HCL (its JSON-syntax document)."""
    from modules.operations.export import render_modules

    return render_modules()


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory, rendered: dict[str, Any]) -> Path:
    """A fresh export from the constructs as they are now."""
    from modules.operations.export import export_modules

    out = tmp_path_factory.mktemp("export") / "terraform-modules"
    export_modules(out, rendered)
    return out


def module(rendered: dict[str, Any], name: str) -> dict[str, Any]:
    return rendered[name].document


def test_the_committed_modules_are_what_the_constructs_export(exported: Path) -> None:
    fresh = sorted(p.relative_to(exported) for p in exported.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(COMMITTED) for p in COMMITTED.rglob("*")
                       if p.is_file() and ".terraform" not in "/".join(p.parts))
    assert fresh == committed, "run `python main.py export-modules` and commit terraform-modules/"
    stale = [str(path) for path in fresh if (exported / path).read_text() != (COMMITTED / path).read_text()]
    assert not stale, f"stale exported modules {stale}: run `python main.py export-modules` and commit the result"


def test_each_module_has_the_standard_structure_and_no_json(exported: Path) -> None:
    assert sorted(p.name for p in exported.iterdir()) == sorted(TIER_MODULES)
    for name in TIER_MODULES:
        folder = exported / name
        assert {p.name for p in folder.iterdir() if p.is_file()} == STANDARD_FILES, name
        assert sorted(p.name for p in (folder / "tests").iterdir())[-1] == "validations.tftest.hcl", name
        assert not list(folder.rglob("*.json")), name
        versions = (folder / "versions.tf").read_text()
        expected = ">= 5.81, < 7.0" if name == "credentials" else ">= 5.0, < 7.0"
        terraform = ">= 1.5" if name == "ingress" else ">= 1.3"  # its `check` block
        assert f'version = "{expected}"' in versions and f'required_version = "{terraform}"' in versions, name
        assert not re.search(r'^\s*(provider|backend)\b', "".join(
            (folder / f).read_text() for f in ("main.tf", "versions.tf")), re.MULTILINE), name


def test_expressions_read_as_hcl_not_as_json_strings(exported: Path) -> None:
    """No `"${...}"` around a whole expression, no quoted references, no JSON inside a string."""
    sole = re.compile(r'=\s*"\$\{(?:(?!\}[^"]*\$\{).)*\}"\s*,?$')  # one interpolation and nothing else
    for path in exported.rglob("*.tf"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            where = f"{path.relative_to(exported)}:{number}: {line.strip()}"
            assert not sole.search(line), where
            assert '\\"' not in line, where  # escaped quotes: JSON written as a string
            assert not re.search(r'(depends_on|ignore_changes)\s*=\s*\[\s*"', line), where
    bootstrap = re.sub(r"\s+=", " =", (exported / "bootstrap" / "main.tf").read_text())
    assert "assume_role_policy = jsonencode({" in bootstrap and "user_data = jsonencode({" in bootstrap
    assert "source = tostring(var.bootstrap_ignition_url)" in bootstrap  # a string in the JSON, as before
    assert "vpc_id = var.vpc_id" in bootstrap


def test_fmt_leaves_the_modules_and_examples_as_they_are() -> None:
    result = terraform(["fmt", "-check", "-recursive", "-no-color", "."], ROOT / "terraform-modules", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    result = terraform(["fmt", "-check", "-recursive", "-no-color", "."], EXAMPLES, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_input_and_output_is_typed_and_described(rendered: dict[str, Any]) -> None:
    for name in TIER_MODULES:
        document = module(rendered, name)
        for key, variable in document["variable"].items():
            assert variable.get("type") and variable.get("description"), f"{name}: variable {key}"
        for key, output in document["output"].items():
            assert output.get("description"), f"{name}: output {key}"


def test_inputs_are_the_tiers_and_the_configurations(rendered: dict[str, Any]) -> None:
    inputs = {name: set(module(rendered, name)["variable"]) for name in TIER_MODULES}
    assert inputs["network"] == {"infra_id", "availability_zones", "vpc_cidr", "subnet_bits", "nat_gateways",
                                 "network_acl", "restricted_network", "openshift_version", "edge_zones"}
    assert "edge_zones" in inputs["existing_network"]
    assert {"vpc_id", "public_subnet_ids", "private_subnet_ids", "publish", "public_zone_id"} <= inputs["cluster_infra"]
    assert {"vpc_id", "vpc_cidr", "iam_profile"} <= inputs["security"]
    assert {"target_group_arns", "master_security_group_id", "bootstrap_ignition_url"} <= inputs["bootstrap"]
    assert {"worker_replicas", "worker_instance_profile_name", "private_subnet_ids"} <= inputs["compute"]
    # The release decides names, grants and the machines' groups; the -lb group comes from security.
    assert all("openshift_version" in inputs[name] for name in ("network", "security", "control_plane", "compute"))
    assert all("lb_security_group_id" in inputs[name] and "default" not in module(rendered, name)["variable"][
        "lb_security_group_id"] for name in ("control_plane", "compute"))
    assert "openshift_version" not in inputs["existing_network"]  # the network team's subnets keep their names
    assert {"cluster_private_zone_id", "ingress_service", "ingress_load_balancer"} <= inputs["ingress"]
    # Defaults are the configuration's.
    network = module(rendered, "network")["variable"]
    assert network["vpc_cidr"]["default"] == "10.0.0.0/16" and network["subnet_bits"]["default"] == 12
    assert "default" not in network["availability_zones"]
    assert module(rendered, "compute")["variable"]["worker_replicas"]["default"] == 3
    assert module(rendered, "cluster_infra")["variable"]["public_zone_id"]["default"] is None


def test_per_az_rule_and_machine_resources_iterate_over_inputs(rendered: dict[str, Any]) -> None:
    """One module serves 1, 2 or 3 AZs and any worker count: nothing is fixed at export time."""
    network = module(rendered, "network")["resource"]
    for kind, name in (("aws_subnet", "public"), ("aws_subnet", "private"), ("aws_route_table", "private"),
                       ("aws_route_table_association", "private"), ("aws_nat_gateway", "nat"),
                       ("aws_eip", "nat"), ("aws_route", "private_nat")):
        assert "var.availability_zones" in network[kind][name]["for_each"], f"{kind}.{name}"
    assert "var.nat_gateways" in network["aws_nat_gateway"]["nat"]["for_each"]
    subnet = network["aws_subnet"]["private"]["cidr_block"]
    assert subnet == "${cidrsubnet(var.vpc_cidr, local.subnet_newbits, (each.value + 3))}"

    security = module(rendered, "security")["resource"]
    rules = security["aws_vpc_security_group_ingress_rule"]["cluster"]["for_each"]
    assert len(rules) == 47 and "MasterIngressEtcd" in rules  # the rule table, keyed by rule name

    workers = module(rendered, "compute")["resource"]["aws_instance"]["worker"]
    assert "range(var.worker_replicas)" in workers["for_each"]
    assert "length(var.private_subnet_ids)" in workers["for_each"]
    attachments = module(rendered, "control_plane")["resource"]["aws_lb_target_group_attachment"]["master"]
    assert "keys(var.target_group_arns)" in attachments["for_each"]


def test_switches_are_inputs_not_export_time_choices(rendered: dict[str, Any]) -> None:
    infra = module(rendered, "cluster_infra")["resource"]
    assert infra["aws_lb"]["external"]["count"] == '${var.publish == "External" ? 1 : 0}'
    assert 'var.publish == "External"' in infra["aws_lb_target_group"]["api"]["for_each"]
    security = module(rendered, "security")
    policy = security["resource"]["aws_iam_role_policy"]["master"]["policy"]
    assert policy == ('${local.master_policies[var.iam_profile == "least_privilege" ? '
                      '"least_privilege${local.releases[var.openshift_version].master_grants}" : var.iam_profile]}')
    assert set(security["locals"]["master_policies"]) == {"least_privilege", "documented",
                                                          "least_privilege+elasticloadbalancing:SetSecurityGroups"}
    assert security["resource"]["aws_iam_role_policy"]["worker"]["policy"] == "${local.worker_policies[var.iam_profile]}"
    assert security["resource"]["aws_security_group"]["lb"]["count"] == \
        "${local.releases[var.openshift_version].lb_group ? 1 : 0}"
    role = security["resource"]["aws_iam_role"]["master"]["assume_role_policy"]
    assert "ec2.${data.aws_partition.current.dns_suffix}" in role


def test_variable_validations_reject_bad_values(rendered: dict[str, Any]) -> None:
    checks = {
        name: [v["condition"] for v in variable.get("validation", [])]
        for name, variable in module(rendered, "network")["variable"].items()}
    assert any("cidrhost(var.vpc_cidr" in c for c in checks["vpc_cidr"])
    assert any("distinct(var.availability_zones)" in c for c in checks["availability_zones"])
    assert all(c.startswith("${") and c.endswith("}") for cs in checks.values() for c in cs)


def test_each_module_readme_has_terraform_docs_tables_of_its_inputs_outputs_and_resources(
        exported: Path, rendered: dict[str, Any]) -> None:
    for name in TIER_MODULES:
        text = (exported / name / "README.md").read_text()
        document = module(rendered, name)
        headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
        assert headings == ["Usage", "Requirements", "Providers", "Modules", "Resources", "Inputs", "Outputs"], name
        assert re.findall(r'<a name="input_([a-z0-9_]+)">', text) == sorted(document["variable"])
        assert re.findall(r'<a name="output_([a-z0-9_]+)">', text) == sorted(document["output"])
        resources = {f"{t}.{n}" for kind in ("resource", "data") for t, named in document.get(kind, {}).items()
                     for n in named}
        assert set(re.findall(r"^\| \[([a-z0-9_]+\.[a-z0-9_]+)\]\(https://registry", text, re.MULTILINE)) == resources
        for part, columns in ((text.split("## Inputs")[1].split("## Outputs")[0], 5), (text.split("## Outputs")[1], 2)):
            for line in part.splitlines():
                if line.startswith("|"):
                    assert len(re.split(r"(?<!\\)\|", line)) - 2 == columns, line
        usage = text.split("```hcl")[1].split("```")[0]
        required = [key for key, spec in document["variable"].items() if "default" not in spec]
        assert re.findall(r"^  ([a-z0-9_]+) +=", usage, re.MULTILINE) == ["source", *required], name
    assert "module.network.vpc_id" in (exported / "cluster_infra" / "README.md").read_text()


@pytest.mark.terraform
def test_every_module_passes_its_own_tests_and_every_example_validates_offline(tmp_path: Path) -> None:
    """`terraform test` in each committed module (mocked provider: no AWS), which validates the
    module first; `terraform validate` of each example, which validates every module it calls."""
    shutil.copytree(COMMITTED, tmp_path / "terraform-modules", ignore=shutil.ignore_patterns(".terraform*"))
    shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns(".terraform*"))
    modules = [tmp_path / "terraform-modules" / name for name in TIER_MODULES]
    examples = sorted(p for p in (tmp_path / "examples").iterdir() if p.is_dir())
    for folder in modules + examples:  # init one at a time (shared plugin cache); run side by side
        init(folder, backend=False)

    def check(folder: Path) -> tuple[Path, Any]:
        if folder.parent.name == "examples":
            return folder, terraform(["validate", "-json", "-no-color"], folder, check=False)
        return folder, terraform(["test", "-no-color"], folder, check=False)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(check, modules + examples))
    for folder, result in results:
        if folder.parent.name == "examples":
            report = json.loads(result.stdout)
            assert report["valid"] and report["error_count"] == 0, f"{folder.name}: {report['diagnostics']}"
            assert report["warning_count"] == 0, f"{folder.name}: {report['diagnostics']}"
            continue
        assert result.returncode == 0, f"{folder.name}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
        runs = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("run ")]
        suites = list((folder / "tests").glob("*.tftest.hcl"))
        expected = sum(text.count('\nrun "') for text in (s.read_text() for s in suites))
        assert len(runs) == expected and all(line.endswith("pass") for line in runs), result.stdout
        assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert {p.name for p in examples} >= {"consumer", "remote-state", "existing-vpc"}


# Inputs that turn on what the defaults leave off, so both branches are compared.
ALTERNATES = {
    "network": {"network_acl": True, "restricted_network": True, "nat_gateways": False, "subnet_bits": 8,
                "openshift_version": "4.15"},
    "cluster_infra": {"publish": "Internal", "public_subnet_ids": []},
    "security": {"iam_profile": "documented", "iam_path": "/openshift/", "openshift_version": "4.15",
                 "iam_permissions_boundary": "arn:aws:iam::123456789012:policy/boundary"},
    "credentials": {"issuer_hosting": "public_bucket"},
    "bootstrap": {"publish": "Internal", "bootstrap_ssh_cidr": "203.0.113.0/24",
                  "root_volume_kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
    "compute": {"worker_replicas": 1, "worker_additional_security_group_ids": ["sg-0123abcd"], "openshift_version": "4.15",
                "worker_ignition_url": "https://api-int.ocp4.example.com:22623/config/worker"},
    "state": {"lock_table": "ocp4-x7k2q-lock"},
}


@pytest.mark.terraform
def test_the_hcl_plans_exactly_what_the_json_it_was_written_from_plans(rendered: dict[str, Any], tmp_path: Path) -> None:
    """The writer changes notation, never meaning: one root calls each module from the JSON
    cdktf synthesized and from the committed HCL, with the same inputs (the defaults, and
    where a module has switches, once more with them turned), and one offline plan (a provider
    that asks AWS nothing) must plan the same resources with the same values and the same
    outputs. existing_network and ingress are left out: their data sources need AWS (their suites mock them)."""
    from conftest import OFFLINE_OVERRIDE
    from modules.operations.module_tests import EXAMPLES

    names = [name for name in TIER_MODULES if name not in ("existing_network", "ingress")]
    calls, outputs, pairs = {}, {}, []
    for name in names:
        (tmp_path / "json" / name).mkdir(parents=True)
        (tmp_path / "json" / name / "main.tf.json").write_text(json.dumps(rendered[name].document))
        shutil.copytree(COMMITTED / name, tmp_path / "hcl" / name, ignore=shutil.ignore_patterns("tests", "*.md"))
        variables = rendered[name].document["variable"]
        inputs = {key: EXAMPLES[key] for key, spec in variables.items() if "default" not in spec}
        if "public_zone_id" in variables:
            inputs["public_zone_id"] = "Z0123456789ABCDEFGHIJ"  # a lookup would ask AWS
        cases = {name: inputs} | ({f"{name}_alt": {**inputs, **ALTERNATES[name]}} if name in ALTERNATES else {})
        for case, values in cases.items():
            assert set(values) <= set(variables), case
            for syntax in ("json", "hcl"):
                calls[f"{case}_{syntax}"] = {"source": f"./{syntax}/{name}", **values}
                outputs[f"{case}_{syntax}"] = {"value": f"${{module.{case}_{syntax}}}"}
            pairs.append(case)
    root = {"module": calls, "output": outputs, "terraform": OFFLINE_OVERRIDE["terraform"],
            "provider": {"aws": {"region": "us-east-1", **OFFLINE_OVERRIDE["provider"]["aws"]}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(root))
    init(tmp_path)
    terraform(["plan", "-refresh=false", "-input=false", "-no-color", "-out=both.tfplan"], tmp_path)
    shown = json.loads(terraform(["show", "-json", "both.tfplan"], tmp_path).stdout)
    planned: dict[str, dict[str, Any]] = {}
    for change in shown["resource_changes"]:
        module_name, _, address = change["address"].removeprefix("module.").partition(".")
        planned.setdefault(module_name, {})[address] = (change["change"]["actions"], change["change"]["after"],
                                                        change["change"]["after_unknown"])
    output_changes = {key: (change["after"], change["after_unknown"]) for key, change in shown["output_changes"].items()}
    for case in pairs:
        from_json, from_hcl = planned.get(f"{case}_json", {}), planned.get(f"{case}_hcl", {})
        assert from_json, case
        assert sorted(from_hcl) == sorted(from_json), case
        different = [address for address in from_json if from_hcl[address] != from_json[address]]
        assert not different, {address: (from_json[address], from_hcl[address]) for address in different[:3]}
        assert output_changes[f"{case}_hcl"] == output_changes[f"{case}_json"], case
        assert output_changes[f"{case}_json"][0] or output_changes[f"{case}_json"][1], case  # outputs were planned
    assert len(pairs) == len(names) + len(ALTERNATES)


@pytest.mark.terraform
def test_the_state_bucket_and_lock_table_refuse_a_destroy(tmp_path: Path) -> None:
    """`prevent_destroy` on the state module's bucket and table, which its own suite cannot show
    (terraform test destroys what it applied): a destroy plan of a state that holds both fails
    on each, offline (no refresh, a provider that asks AWS nothing)."""
    from conftest import OFFLINE_OVERRIDE

    shutil.copytree(COMMITTED / "state", tmp_path / "state", ignore=shutil.ignore_patterns("tests", "*.md"))
    root = {"module": {"state": {"source": "./state", "state_bucket": "ocp4-x7k2q-state", "lock_table": "ocp4-x7k2q-lock"}},
            "terraform": OFFLINE_OVERRIDE["terraform"],
            "provider": {"aws": {"region": "us-east-1", **OFFLINE_OVERRIDE["provider"]["aws"]}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(root))
    provider = 'provider["registry.terraform.io/hashicorp/aws"]'
    held = [("aws_s3_bucket", "state", {"id": "ocp4-x7k2q-state", "bucket": "ocp4-x7k2q-state"}, {}),
            ("aws_dynamodb_table", "lock", {"id": "ocp4-x7k2q-lock", "name": "ocp4-x7k2q-lock"}, {"index_key": 0})]
    state = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "prevent-destroy", "outputs": {},
             "resources": [{"module": "module.state", "mode": "managed", "type": kind, "name": name, "provider": provider,
                            "instances": [{"schema_version": 0, "attributes": attributes, **key}]}
                           for kind, name, attributes, key in held]}
    (tmp_path / "terraform.tfstate").write_text(json.dumps(state))
    init(tmp_path)
    result = terraform(["plan", "-destroy", "-refresh=false", "-input=false", "-no-color"], tmp_path, check=False)
    assert result.returncode == 1, result.stdout
    refused = re.findall(r"Resource (\S+) has\s+lifecycle\.prevent_destroy set", result.stderr)
    assert sorted(refused) == ["module.state.aws_dynamodb_table.lock[0]", "module.state.aws_s3_bucket.state"], \
        result.stderr
