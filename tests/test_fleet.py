"""Several clusters in one configuration, and skipping a synthesis whose inputs did not change."""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
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


def stale(outdir: Path, *configs) -> tuple[str, ...]:
    return fingerprint.work(list(configs), outdir).stale


def test_the_output_records_the_inputs_it_was_made_from(synthesized):
    config = synthesized.configs["default"]
    outdir = synthesized.outdir("default")
    assert stale(outdir, config) == ()
    for changed in (variant(vpc_cidr="10.1.0.0/16"), variant(tags={"owner": "other"}),
                    variant(compute={"replicas": 4})):
        assert stale(outdir, parse_config(changed)) == ("ocp4",)


def test_code_and_tool_versions_are_part_of_the_fingerprint(monkeypatch, synthesized):
    config = synthesized.configs["default"]
    before = fingerprint.fingerprint(config)
    monkeypatch.setattr(fingerprint, "TOOLS", fingerprint.TOOLS[:-1])
    assert fingerprint.fingerprint(config) != before
    monkeypatch.undo()
    monkeypatch.setattr(fingerprint, "CODE", fingerprint.CODE + ("README.md",))
    assert fingerprint.fingerprint(config) != before


def test_a_change_in_any_subpackage_invalidates_the_fingerprint(synthesized, tmp_path, monkeypatch):
    """The fingerprint reads every .py file below modules/ at any depth, not only the top level."""
    config = synthesized.configs["default"]
    shutil.copytree(ROOT / "modules", tmp_path / "modules", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PROJECT_ROOT", tmp_path)
    before = fingerprint.fingerprint(config)
    for deep in ("tiers/network.py", "constructs/hcl.py", "configuration/limits.py"):
        path = tmp_path / "modules" / deep
        original = path.read_text()
        path.write_text(original + "\n# changed\n")
        assert fingerprint.fingerprint(config) != before, deep
        path.write_text(original)
    assert fingerprint.fingerprint(config) == before


def test_a_missing_stack_means_synthesize_again(synthesized, tmp_path):
    outdir = tmp_path / "copy"
    shutil.copytree(synthesized.outdir("default"), outdir)
    config = synthesized.configs["default"]
    assert stale(outdir, config) == ()
    (outdir / "stacks" / "ocp4-compute" / "cdk.tf.json").unlink()
    assert stale(outdir, config) == ("ocp4",)


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
    assert stale(outdir, parse_config(variant())) == stale(outdir, changed) == ("ocp4",)


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


# ---------------------------------------------------------------- synthesizing what changed, cluster by cluster


@dataclass
class FleetRuns:
    """One fleet file (blue, green, red) through the commands, with what each left in the output."""

    outdir: Path
    said: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # step -> (exit, stdout, stderr)
    files: dict[str, dict[Path, tuple[bytes, int]]] = field(default_factory=dict)  # step -> output files
    reviewed: list[str] = field(default_factory=list)  # the clusters plan-review planned


def output_files(outdir: Path) -> dict[Path, tuple[bytes, int]]:
    """Every file of the output, with its bytes and mtime."""
    return {path.relative_to(outdir): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in outdir.rglob("*") if path.is_file()}


def of(files: dict[Path, tuple[bytes, int]], name: str) -> dict[Path, tuple[bytes, int]]:
    """The files of the cluster `name`'s stack folders."""
    return {path: value for path, value in files.items()
            if len(path.parts) > 2 and path.parts[0] == "stacks" and path.parts[1].startswith(f"{name}-")}


@pytest.fixture(scope="module")
def fleet_runs(tmp_path_factory, synthesized):  # `synthesized`: the bindings are loaded once, there
    import main
    from modules.operations import drift, plan_review

    root = tmp_path_factory.mktemp("fleet-runs")
    runs, config = FleetRuns(root / "out"), root / "fleet.json"
    env = {"OCP_CLUSTER_CONFIG": str(config), "CDKTF_OUTDIR": str(runs.outdir)}

    def step(name: str, argv: list[str], *clusters: dict) -> None:
        config.write_text(json.dumps({"clusters": list(clusters)}))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main.main(argv, env)
        runs.said[name] = (status, out.getvalue(), err.getvalue())
        runs.files[name] = output_files(runs.outdir)
        time.sleep(0.01)  # a rewrite after this shows in the mtimes

    def review(outdir, name, **kwargs):  # the review's planning is another test's: here, what it was given
        runs.reviewed.append(name)
        return plan_review.Review(tiers=[], target=None, static=None, cluster=name)

    blue, green, red = cluster("blue"), cluster("green"), cluster("red")
    step("first", ["synth"], blue, green, red)
    step("green changed", ["synth"], blue, cluster("green", tags={"owner": "green-team"}), red)
    step("unchanged", ["synth"], blue, cluster("green", tags={"owner": "green-team"}), red)
    patches = pytest.MonkeyPatch()
    patches.setattr(plan_review, "review_cluster", review)
    patches.setattr(drift, "outside_terraform", lambda *args, **kwargs: (lambda: []))
    try:
        step("plan-review blue", ["plan-review", "--cluster", "blue", "--all", "--out", str(root / "review")],
             cluster("blue", vpc_cidr="10.1.0.0/16"), cluster("green", tags={"owner": "green-team"}),
             cluster("red", vpc_cidr="10.2.0.0/16"))
    finally:
        patches.undo()
    step("synth --cluster red", ["synth", "--cluster", "red"], cluster("blue", vpc_cidr="10.1.0.0/16"),
         cluster("green", tags={"owner": "green-team"}), cluster("red", vpc_cidr="10.2.0.0/16"))
    # red's state tier was applied from here: Terraform's working files and its local state are in its folder
    (runs.outdir / "stacks" / "red-state" / "terraform.tfstate").write_text("{}")
    (runs.outdir / "stacks" / "red-network" / ".terraform").mkdir()
    step("red removed", ["synth"], cluster("blue", vpc_cidr="10.1.0.0/16"),
         cluster("green", tags={"owner": "green-team"}))
    return runs


def test_a_changed_cluster_is_the_only_one_synthesized_again(fleet_runs):
    first, after = fleet_runs.files["first"], fleet_runs.files["green changed"]
    assert fleet_runs.said["green changed"][:2] == (0, f"synthesized green into {fleet_runs.outdir} "
                                                        "(blue, red unchanged)\n")
    for name in ("blue", "red"):
        assert of(after, name) == of(first, name) != {}, name  # bytes and mtimes
    assert of(after, "green").keys() == of(first, "green").keys()
    assert of(after, "green")[Path("stacks/green-network/cdk.tf.json")][0] != \
        of(first, "green")[Path("stacks/green-network/cdk.tf.json")][0]


def test_an_unchanged_rerun_writes_nothing(fleet_runs):
    assert fleet_runs.said["unchanged"][:2] == (
        0, f"blue, green, red: unchanged since the last synthesis into {fleet_runs.outdir}; "
           "nothing to do (--force redoes it)\n")
    assert fleet_runs.files["unchanged"] == fleet_runs.files["green changed"]  # the manifest and record too


def test_a_command_naming_a_cluster_synthesizes_that_one_only(fleet_runs):
    before, after = fleet_runs.files["unchanged"], fleet_runs.files["plan-review blue"]
    assert fleet_runs.reviewed == ["blue"]
    blue = json.loads(after[Path("stacks/blue-network/cdk.tf.json")][0])
    assert blue["resource"]["aws_vpc"]["cluster"]["cidr_block"] == "10.1.0.0/16"
    assert of(after, "red") == of(before, "red") and of(after, "green") == of(before, "green")
    # red changed too: its output is still of its old configuration, and known to be
    red = json.loads(after[Path("stacks/red-network/cdk.tf.json")][0])
    assert red["resource"]["aws_vpc"]["cluster"]["cidr_block"] == "10.0.0.0/16"
    status, out, _ = fleet_runs.said["synth --cluster red"]
    assert (status, out) == (0, f"synthesized red into {fleet_runs.outdir}\n")
    assert of(fleet_runs.files["synth --cluster red"], "blue") == of(after, "blue")


def test_the_manifest_lists_every_clusters_stacks_after_partial_syntheses(fleet_runs):
    from modules.operations import deploy

    names = deploy.synthesized_stacks(fleet_runs.outdir)  # read from the files of the last step
    tiers = [tier.value for tier in parse_config(cluster("blue")).tiers]
    assert names == {f"{name}-{tier}" for name in ("blue", "green") for tier in tiers}
    manifest = json.loads(fleet_runs.files["synth --cluster red"][Path("manifest.json")][0])
    assert set(manifest["stacks"]) == {f"{name}-{tier}" for name in ("blue", "green", "red") for tier in tiers}
    assert all((fleet_runs.outdir / stack["synthesizedStackPath"]).is_file()
               for name, stack in manifest["stacks"].items() if not name.startswith("red-"))


def test_a_removed_cluster_leaves_the_output_but_not_its_state_and_says_so(fleet_runs):
    status, out, err = fleet_runs.said["red removed"]
    left = sorted(path.parts[1] for path in fleet_runs.files["red removed"] if path.parts[0] == "stacks"
                  and path.parts[1].startswith("red-"))
    assert status == 0 and out.splitlines() == [
        f"removed red from {fleet_runs.outdir} (see the warning)",
        f"blue, green: unchanged since the last synthesis into {fleet_runs.outdir}; nothing to do (--force redoes it)"]
    assert "red: no longer in the configuration" in err and "Nothing was destroyed" in err
    assert str(fleet_runs.outdir / "stacks" / "red-state") in err
    # The folders Terraform worked in are left whole (the state tier's local state with them); the others go.
    assert sorted(set(left)) == ["red-network", "red-state"]
    assert (fleet_runs.outdir / "stacks" / "red-state" / "cdk.tf.json").is_file()
    record = json.loads(fleet_runs.files["red removed"][Path(fingerprint.RECORD)][0])
    assert sorted(record["clusters"]) == ["blue", "green"]
    assert of(fleet_runs.files["red removed"], "blue") == of(fleet_runs.files["synth --cluster red"], "blue")


def test_destroy_and_unlock_synthesize_a_cluster_only_when_the_output_has_none(tmp_path, synthesized):
    import main

    outdir = tmp_path / "out"
    assert main.ensure(parse_config(cluster("blue")), outdir).synthesized == ("blue",)
    changed = parse_config(cluster("blue", vpc_cidr="10.1.0.0/16"))
    assert main.ensure(changed, outdir).synthesized == ()  # what was applied, not what is configured now
    network = json.loads((outdir / "stacks" / "blue-network" / "cdk.tf.json").read_text())
    assert network["resource"]["aws_vpc"]["cluster"]["cidr_block"] == "10.0.0.0/16"
    assert main.update([changed], outdir).synthesized == ("blue",)  # apply's way


def test_a_tier_the_configuration_drops_leaves_the_output_and_its_worked_folder_is_named(tmp_path, synthesized,
                                                                                       capsys):
    import main

    outdir = tmp_path / "out"
    assert main.update([parse_config(cluster("blue", ingress={}))], outdir).synthesized == ("blue",)
    assert (outdir / "stacks" / "blue-ingress" / "cdk.tf.json").is_file()
    (outdir / "stacks" / "blue-ingress" / ".terraform.lock.hcl").write_text("# initialized")
    done = main.update([parse_config(cluster("blue"))], outdir)
    assert done.dropped == ((outdir / "stacks" / "blue-ingress", True),)
    assert "blue-ingress: this tier is no longer in the configuration" in capsys.readouterr().err
    assert "blue-ingress" not in json.loads((outdir / "manifest.json").read_text())["stacks"]
    assert (outdir / "stacks" / "blue-ingress" / ".terraform.lock.hcl").is_file()


def test_a_dropped_tier_terraform_never_worked_in_goes_with_a_warning(tmp_path, synthesized, capsys):
    import main

    outdir = tmp_path / "out"
    main.update([parse_config(cluster("blue", ingress={}))], outdir)
    done = main.update([parse_config(cluster("blue"))], outdir)
    assert done.dropped == ((outdir / "stacks" / "blue-ingress", False),)
    assert not (outdir / "stacks" / "blue-ingress").exists()
    assert "blue-ingress: this tier is no longer in the configuration" in capsys.readouterr().err


def test_a_removal_interrupted_before_the_record_is_written_is_done_and_warned_of_again(tmp_path, synthesized,
                                                                                         monkeypatch, capsys):
    import main
    from modules.operations import synthesis

    outdir = tmp_path / "out"
    main.update([parse_config(cluster("blue")), parse_config(cluster("red"))], outdir, fleet=True)

    def killed(*args):
        raise KeyboardInterrupt  # after the record forgot red, before it was written again

    monkeypatch.setattr(synthesis, "_write_manifest", killed)
    with pytest.raises(KeyboardInterrupt):
        main.update([parse_config(cluster("blue"))], outdir, fleet=True)
    monkeypatch.undo()
    capsys.readouterr()
    done = main.update([parse_config(cluster("blue"))], outdir, fleet=True)
    assert [removed.cluster for removed in done.removed] == ["red"]
    assert "red: no longer in the configuration" in capsys.readouterr().err
    assert sorted(json.loads((outdir / fingerprint.RECORD).read_text())["clusters"]) == ["blue"]
