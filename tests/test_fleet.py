"""Several clusters in one configuration, and skipping a synthesis whose inputs did not change."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, variant
from modules.configuration import ConfigError, Tier, load_configs, parse_config, parse_configs
from modules.operations import fingerprint


def cluster(name: str, **changes) -> dict:
    return variant(cluster_name=name, infra_id=f"{name}-x7k2q", **changes)


def test_a_fleet_file_lists_clusters(tmp_path):
    path = tmp_path / "fleet.yaml"
    path.write_text(json.dumps({"clusters": [cluster("blue"), cluster("green", publish="Internal")]}))
    blue, green = load_configs(path)
    assert (blue.cluster_name, green.cluster_name) == ("blue", "green")
    assert (blue.resolved_state_bucket, green.resolved_state_bucket) == ("blue-x7k2q-tfstate", "green-x7k2q-tfstate")
    assert green.publish.value == "Internal"


def test_a_single_cluster_file_is_a_fleet_of_one():
    assert parse_configs(variant()) == [parse_config(variant())]


@pytest.mark.parametrize("document, expected", [
    ({"clusters": []}, "clusters: [] is a list; expected a non-empty list of clusters"),
    ({"clusters": [cluster("blue")], "region": "us-east-1"}, "region: unknown key; a fleet file holds only"),
    ({"clusters": [cluster("blue"), cluster("blue")]}, "clusters[1].cluster_name: 'blue' is also used by clusters[0]"),
    ({"clusters": [cluster("blue"), variant(cluster_name="green", infra_id="blue-x7k2q")]},
     "clusters[1].infra_id: 'blue-x7k2q' is also used by clusters[0]"),
    ({"clusters": [cluster("blue", state={"bucket": "shared-state"}), cluster("green", state={"bucket": "shared-state"})]},
     "clusters[1].state.bucket: 'shared-state' is also used by clusters[0]"),
    ({"clusters": [cluster("blue"), cluster("green", vpc_cidr="10.0.0.0/8")]}, "clusters[1].vpc_cidr: "),
])
def test_fleet_problems_name_the_cluster_and_field(document, expected):
    with pytest.raises(ConfigError) as error:
        parse_configs(document)
    assert any(problem.startswith(expected) or expected in problem for problem in error.value.problems), \
        error.value.problems


def test_a_fleet_synthesizes_one_set_of_stacks_per_cluster_with_separate_state(tmp_path):
    from modules.operations.synthesis import synthesize

    configs = parse_configs({"clusters": [cluster("blue"), cluster("green")]})
    outdir = synthesize(configs, tmp_path / "out")
    stacks = sorted(p.name for p in (outdir / "stacks").iterdir())
    tiers = ["bootstrap", "cluster-infra", "compute", "control-plane", "network", "security", "state"]
    assert stacks == sorted(f"{name}-{tier}" for name in ("blue", "green") for tier in tiers)
    keys = set()
    for stack in stacks:
        backend = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())["terraform"]["backend"]
        if "s3" in backend:
            keys.add((backend["s3"]["bucket"], backend["s3"]["key"]))
    assert len(keys) == 12  # 6 S3-backed tiers per cluster, no key shared
    assert {bucket for bucket, _ in keys} == {"blue-x7k2q-tfstate", "green-x7k2q-tfstate"}


# ---------------------------------------------------------------- skipping unchanged synthesis


def test_the_output_records_the_inputs_it_was_made_from(synthesized):
    config = synthesized.configs["default"]
    outdir = synthesized.outdir("default")
    assert fingerprint.unchanged(outdir, fingerprint.fingerprint([config]))
    for changed in (variant(vpc_cidr="10.1.0.0/16"), variant(tags={"owner": "other"}),
                    variant(compute={"replicas": 4})):
        assert not fingerprint.unchanged(outdir, fingerprint.fingerprint([parse_config(changed)]))


def test_code_and_tool_versions_are_part_of_the_fingerprint(monkeypatch, synthesized):
    configs = [synthesized.configs["default"]]
    before = fingerprint.fingerprint(configs)
    monkeypatch.setattr(fingerprint, "TOOLS", fingerprint.TOOLS[:-1])
    assert fingerprint.fingerprint(configs) != before
    monkeypatch.undo()
    monkeypatch.setattr(fingerprint, "CODE", fingerprint.CODE + ("README.md",))
    assert fingerprint.fingerprint(configs) != before


def test_a_change_in_any_subpackage_invalidates_the_fingerprint(synthesized, tmp_path, monkeypatch):
    """The fingerprint reads every .py file below modules/ at any depth, not only the top level."""
    configs = [synthesized.configs["default"]]
    shutil.copytree(ROOT / "modules", tmp_path / "modules", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PROJECT_ROOT", tmp_path)
    before = fingerprint.fingerprint(configs)
    for deep in ("tiers/network.py", "constructs/hcl.py", "configuration/limits.py"):
        path = tmp_path / "modules" / deep
        original = path.read_text()
        path.write_text(original + "\n# changed\n")
        assert fingerprint.fingerprint(configs) != before, deep
        path.write_text(original)
    assert fingerprint.fingerprint(configs) == before


def test_a_missing_stack_means_synthesize_again(synthesized, tmp_path):
    outdir = tmp_path / "copy"
    shutil.copytree(synthesized.outdir("default"), outdir)
    digest = fingerprint.fingerprint([synthesized.configs["default"]])
    assert fingerprint.unchanged(outdir, digest)
    (outdir / "stacks" / "ocp4-compute" / "cdk.tf.json").unlink()
    assert not fingerprint.unchanged(outdir, digest)


def test_plan_review_of_an_unchanged_synthesis_loads_no_bindings(synthesized, tmp_path):
    """plan-review synthesizes only when the inputs changed; with the output current it plans (here: a
    stand-in that plans nothing and looks up no rules, and --all, which reads no applied record, so no
    AWS is needed) and scans without the AWS bindings."""
    env = {**os.environ, "CDKTF_OUTDIR": str(synthesized.outdir("default"))}
    env.pop("OCP_CLUSTER_CONFIG", None)
    probe = ("import sys, main\n"
             "from modules.operations import drift, plan_review, static_checks\n"
             "plan_review.plan_all = lambda folders, *a, **k: [plan_review.TierPlan(f.name, {}) for f in folders]\n"
             "drift.outside_terraform = lambda *args, **kwargs: (lambda: [])\n"
             "static_checks.CHECKOV = static_checks.PROJECT_ROOT / 'no-checkov-here'\n"
             f"code = main.main(['plan-review', '--all', '--out', {str(tmp_path)!r}])\n"
             "print('bindings loaded' if 'cdktf_cdktf_provider_aws' in sys.modules else 'bindings not loaded')\n"
             "sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "bindings not loaded" in result.stdout and (tmp_path / "plan-review.md").is_file()


def test_main_skips_an_unchanged_synthesis_without_loading_the_bindings(synthesized):
    """The embedded example is the `default` variant: its output is current."""
    outdir = synthesized.outdir("default")
    before = {p: p.stat().st_mtime_ns for p in outdir.rglob("cdk.tf.json")}
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir)}
    env.pop("OCP_CLUSTER_CONFIG", None)
    probe = ("import runpy, sys; sys.argv = ['main.py']; "
             "code = 0\ntry: runpy.run_path('main.py', run_name='__main__')\n"
             "except SystemExit as e: code = e.code\n"
             "print('bindings loaded' if 'cdktf_cdktf_provider_aws' in sys.modules else 'bindings not loaded'); "
             "sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "unchanged since the last synthesis" in result.stdout
    assert "bindings not loaded" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in outdir.rglob("cdk.tf.json")} == before


def test_force_and_changed_input_synthesize(tmp_path, capsys):
    import main

    env = {"CDKTF_OUTDIR": str(tmp_path / "out")}
    assert main.main([], env) == 0 and "synthesized ocp4" in capsys.readouterr().out
    assert main.main([], env) == 0 and "unchanged" in capsys.readouterr().out
    assert main.main(["synth", "--force"], env) == 0 and "synthesized ocp4" in capsys.readouterr().out
    config = tmp_path / "changed.json"
    config.write_text(json.dumps(variant(vpc_cidr="10.1.0.0/16")))
    assert main.main([], {**env, "OCP_CLUSTER_CONFIG": str(config)}) == 0
    assert "synthesized ocp4" in capsys.readouterr().out
    network = json.loads((tmp_path / "out" / "stacks" / "ocp4-network" / "cdk.tf.json").read_text())
    assert network["resource"]["aws_vpc"]["cluster"]["cidr_block"] == "10.1.0.0/16"


def test_an_interrupted_install_of_the_output_is_not_taken_for_complete(tmp_path, monkeypatch):
    from modules.operations import synthesis as app

    outdir = app.synthesize([parse_config(variant())], tmp_path / "out")

    def killed(staging, target):
        raise KeyboardInterrupt  # midway through moving files in

    monkeypatch.setattr(app, "_install", killed)
    changed = parse_config(variant(vpc_cidr="10.1.0.0/16"))
    with pytest.raises(KeyboardInterrupt):
        app.synthesize([changed], outdir)
    assert not fingerprint.unchanged(outdir, fingerprint.fingerprint([parse_config(variant())]))
    assert not fingerprint.unchanged(outdir, fingerprint.fingerprint([changed]))


# ---------------------------------------------------------------- one cluster's stacks, by exact name


@pytest.fixture(scope="module")
def prod_and_prod_eu(tmp_path_factory):
    """A fleet whose second cluster's name starts with the first's: `prod` and `prod-eu`."""
    from modules.operations.synthesis import synthesize

    configs = parse_configs({"clusters": [cluster("prod"), cluster("prod-eu")]})
    return synthesize(configs, tmp_path_factory.mktemp("prod") / "out")


@pytest.fixture
def terraform_calls(monkeypatch):
    """Every terraform command deploy and plan review would run, as (stack folder, command); none runs."""
    from modules.operations import terraform

    calls = []

    def record(args, cwd, **kwargs):
        calls.append((Path(cwd).name, args[0]))
        return subprocess.CompletedProcess(["terraform", *args], 0, "", "")

    monkeypatch.setattr(terraform, "run", record)
    return calls


# prod has no credentials or ingress block
PROD = {f"prod-{tier.value}" for tier in Tier if tier not in (Tier.CREDENTIALS, Tier.INGRESS)}


def test_apply_and_destroy_of_prod_touch_only_prods_stacks(prod_and_prod_eu, terraform_calls):
    from modules.operations import applying, deploy

    assert set(deploy.stack_order(prod_and_prod_eu, "prod")) == PROD
    applying.apply(prod_and_prod_eu, "prod", log=lambda message: None)
    assert {stack for stack, _ in terraform_calls} == PROD
    terraform_calls.clear()
    deploy.destroy(prod_and_prod_eu, "prod", ["compute", "network"], log=lambda message: None)
    assert terraform_calls == [("prod-compute", "init"), ("prod-compute", "destroy"),
                               ("prod-network", "init"), ("prod-network", "destroy")]


def test_plan_review_and_checkov_of_prod_touch_only_prods_stacks(prod_and_prod_eu, terraform_calls, monkeypatch):
    from modules.operations import plan_review, static_checks

    scanned = []
    monkeypatch.setattr(static_checks, "CHECKOV", Path(sys.executable))  # "installed"
    monkeypatch.setattr(static_checks, "run_checkov", lambda folders: scanned.extend(folders) or (0, []))
    result = plan_review.review_cluster(prod_and_prod_eu, "prod", target=Tier.COMPUTE)
    assert {tier.stack for tier in result.tiers} == PROD
    assert {stack for stack, _ in terraform_calls} == PROD
    assert {folder.name for folder in scanned} == PROD


def test_tier_names_are_checked_and_the_known_ones_listed(prod_and_prod_eu):
    from modules.operations import applying, deploy

    with pytest.raises(deploy.DeployError, match="unknown tier 'eu-network'; the tiers are state, network"):
        applying.apply(prod_and_prod_eu, "prod", ["eu-network"], log=lambda message: None)


def test_replace_targets_one_machine_and_its_registrations(prod_and_prod_eu, monkeypatch):
    from modules.operations import deploy, terraform

    held = ['aws_instance.master["0"]', 'aws_instance.master["1"]', 'aws_lb_target_group_attachment.master["0/internal_api"]',
            'aws_lb_target_group_attachment.master["1/internal_api"]',
            'aws_lb_target_group_attachment.master["1/internal_service"]', "data.terraform_remote_state.network"]
    calls = []

    def fake(args, cwd, **kwargs):
        calls.append((Path(cwd).name, list(args)))
        return subprocess.CompletedProcess(args, 0, "\n".join(held) if args[:2] == ["state", "list"] else "", "")

    monkeypatch.setattr(terraform, "run", fake)
    deploy.replace(prod_and_prod_eu, "prod", Tier.CONTROL_PLANE, "1", log=lambda message: None)
    stack, apply = calls[-1]
    assert stack == "prod-control-plane" and apply[0] == "apply"
    assert '-replace=aws_instance.master["1"]' in apply
    assert sorted(a for a in apply if a.startswith("-target=")) == sorted(
        f"-target={address}" for address in held[1:2] + held[3:5])
    with pytest.raises(deploy.DeployError, match="has no machine '7'; its machines are 0, 1"):
        deploy.replace(prod_and_prod_eu, "prod", Tier.CONTROL_PLANE, "7", log=lambda message: None)
    with pytest.raises(deploy.DeployError, match="network has no machines"):
        deploy.replace(prod_and_prod_eu, "prod", Tier.NETWORK, "0", log=lambda message: None)
