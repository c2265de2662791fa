"""Writing the output: where it goes, what survives re-synthesis, and what a failure leaves."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import ROOT, variant
from modules.configuration import parse_config
from modules.configuration import Tier


def empty_blocks(value, path="$"):
    """Paths of empty objects inside resources: jsii drops unknown struct keys silently."""
    if isinstance(value, dict):
        if not value:
            yield path
        for key, item in value.items():
            if key != "//":
                yield from empty_blocks(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from empty_blocks(item, f"{path}[{i}]")


def test_no_nested_block_was_dropped(synthesized):
    for name in synthesized.configs:
        for stack_file in synthesized.outdir(name).glob("stacks/*/cdk.tf.json"):
            resources = json.loads(stack_file.read_text()).get("resource", {})
            assert list(empty_blocks(resources)) == [], stack_file


def test_resynthesis_keeps_terraform_working_files(tmp_path):
    from modules.operations.synthesis import synthesize

    config = parse_config(variant())
    outdir = synthesize([config], tmp_path / "out")
    state_dir = outdir / "stacks" / "ocp4-state"
    working = {".terraform/providers/marker": "x", ".terraform.lock.hcl": "lock", "terraform.tfstate": "{}",
               "backend_override.tf.json": "{}", "reviewed.tfplan": "plan"}
    for relative, text in working.items():
        (state_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (state_dir / relative).write_text(text)
    (state_dir / "stale-asset.json").write_text("left by an older run")
    before = (state_dir / "cdk.tf.json").read_text()

    synthesize([parse_config(variant(tags={"owner": "someone-else"}))], outdir)

    for relative, text in working.items():
        assert (state_dir / relative).read_text() == text, relative
    assert not (state_dir / "stale-asset.json").exists()
    assert (state_dir / "cdk.tf.json").read_text() != before  # the stack itself was replaced
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left


def test_failed_synthesis_leaves_previous_output_intact(tmp_path, monkeypatch):
    from modules.operations import synthesis as app_module

    config = parse_config(variant())
    outdir = app_module.synthesize([config], tmp_path / "out")
    snapshot = {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()}

    def broken(scope, cfg):
        raise RuntimeError("construct failed midway")

    stacks = dict(app_module.STACKS)
    stacks[Tier.NETWORK] = broken
    monkeypatch.setattr(app_module, "STACKS", stacks)
    with pytest.raises(RuntimeError, match="midway"):
        app_module.synthesize([config], outdir)
    assert {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()} == snapshot
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_every_resource_is_named_by_new_and_no_address_is_taken_twice():
    """`new()` names resources like hand-written Terraform; check_names refuses anything else."""
    from cdktf_cdktf_provider_aws.vpc import Vpc

    from modules.constructs.cdk import App, TerraformStack
    from modules.constructs.hcl import check_names, new

    stack = TerraformStack(App(), "names")
    new(Vpc, stack, "cluster", cidr_block="10.0.0.0/16")
    new(Vpc, stack, "spare.other", cidr_block="10.1.0.0/16")  # the name is the part after the last "."
    check_names(stack)
    with pytest.raises(ValueError, match="does not end in a valid Terraform name"):
        new(Vpc, stack, "bad name", cidr_block="10.2.0.0/16")
    new(Vpc, stack, "again.cluster", cidr_block="10.3.0.0/16")
    with pytest.raises(ValueError, match="aws_vpc.cluster is declared twice"):
        check_names(stack)
    unnamed = TerraformStack(App(), "unnamed")
    Vpc(unnamed, "direct", cidr_block="10.0.0.0/16")
    with pytest.raises(ValueError, match="was not created with new()"):
        check_names(unnamed)


def test_cdktf_synth_writes_the_stacks_main_py_writes_with_a_cold_and_a_warm_code_cache(synthesized, tmp_path):
    """`scripts/cdktf synth`, the CLI path the docs describe, through its V8 code cache
    (scripts/compile-cache.js): the first run fills the cache, the second runs from it. The CLI
    runs main.py with CDKTF_OUTDIR set to `--output`: main.py writes there, manifest included."""
    cache = tmp_path / "compile-cache"
    env = {key: value for key, value in os.environ.items() if key not in ("OCP_CLUSTER_CONFIG", "CDKTF_OUTDIR")}
    env.update(OCP_FORCE_SYNTH="1", OCP_CDKTF_COMPILE_CACHE=str(cache))
    for run in ("cold", "warm"):
        out = tmp_path / run
        result = subprocess.run([str(ROOT / "scripts" / "cdktf"), "synth", "--output", str(out)], env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        for tier in synthesized.configs["default"].tiers:
            written = json.loads((out / "stacks" / f"ocp4-{tier.value}" / "cdk.tf.json").read_text())
            assert written == synthesized.stack("default", tier.value), (run, tier)
        manifest = json.loads((out / "manifest.json").read_text())
        assert set(manifest["stacks"]) == {f"ocp4-{tier.value}" for tier in synthesized.configs["default"].tiers}
        assert all((out / stack["synthesizedStackPath"]).is_file() for stack in manifest["stacks"].values())
        if run == "cold":
            assert len(list(cache.glob("*.bin"))) > 10  # the bundle and the CLI's dependencies
