"""Several clusters in one configuration, and skipping a synthesis whose inputs did not change."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, variant
from modules.operations import fingerprint
from modules.configuration import ConfigError, load_configs, parse_config, parse_configs


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


def test_a_missing_stack_means_synthesize_again(synthesized, tmp_path):
    import shutil

    outdir = tmp_path / "copy"
    shutil.copytree(synthesized.outdir("default"), outdir)
    digest = fingerprint.fingerprint([synthesized.configs["default"]])
    assert fingerprint.unchanged(outdir, digest)
    (outdir / "stacks" / "ocp4-compute" / "cdk.tf.json").unlink()
    assert not fingerprint.unchanged(outdir, digest)


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


def test_force_and_changed_input_synthesize(tmp_path, monkeypatch, capsys):
    import main

    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "out"))
    monkeypatch.delenv("OCP_CLUSTER_CONFIG", raising=False)
    assert main.main([]) == 0 and "synthesized ocp4" in capsys.readouterr().out
    assert main.main([]) == 0 and "unchanged" in capsys.readouterr().out
    assert main.main(["synth", "--force"]) == 0 and "synthesized ocp4" in capsys.readouterr().out
    config = tmp_path / "changed.json"
    config.write_text(json.dumps(variant(vpc_cidr="10.1.0.0/16")))
    monkeypatch.setenv("OCP_CLUSTER_CONFIG", str(config))
    assert main.main([]) == 0 and "synthesized ocp4" in capsys.readouterr().out
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
