"""Terraform itself on the synthesized stacks: `validate` everywhere, and offline plans
that evaluate our expressions (subnet CIDRs, for_each keys, references)."""
from __future__ import annotations

import ipaddress
import json
import shutil

import pytest

from conftest import offline_plan
from modules.operations.terraform import init, run as terraform

pytestmark = pytest.mark.terraform


def copy_stack(synthesized, name, tier, workdir):
    shutil.copytree(synthesized.stack_dir(name, tier), workdir,
                    ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))


# The default cluster's stacks are root modules the e2e flows init, plan and apply. The restricted
# one's root-level blocks (its own backend with a lock table and endpoints, its provider) are
# validated here: the state stack's (local backend) and the network stack's (S3 backend, NACLs,
# endpoints, no NAT). Every tier's S3 backend and provider blocks differ only in the state key;
# the rest of every stack is validated below, as child modules.
@pytest.mark.parametrize("name", ["restricted"])
def test_root_level_blocks_validate_as_root_modules(synthesized, name, tmp_path):
    for tier in ("state", "network"):
        workdir = tmp_path / tier
        copy_stack(synthesized, name, tier, workdir)
        init(workdir, backend=False)
        result = terraform(["validate", "-no-color"], workdir)
        assert "The configuration is valid" in result.stdout, (tier, result.stdout)


def test_every_stack_of_every_variant_validates(synthesized, tmp_path):
    """All stacks as child modules of one root: one init and one validate check them all.
    Terraform warns that a child module's backend and provider blocks have no effect; the
    stacks' own root-module form is validated above."""
    modules, seen = {}, set()
    for name, config in synthesized.configs.items():
        for tier in (t.value for t in config.tiers):
            text = (synthesized.stack_dir(name, tier) / "cdk.tf.json").read_text()
            if text in seen:  # the same stack in another variant: validated once
                continue
            seen.add(text)
            key = f"{name}_{tier}".replace("-", "_")
            copy_stack(synthesized, name, tier, tmp_path / key)
            modules[key] = {"source": f"./{key}"}
    (tmp_path / "main.tf.json").write_text(json.dumps({"module": modules}))
    init(tmp_path, backend=False)
    result = terraform(["validate", "-no-color", "-json"], tmp_path)
    report = json.loads(result.stdout)
    assert report["valid"] and report["error_count"] == 0, report
    assert {d["summary"] for d in report["diagnostics"]} <= {
        "Backend configuration ignored", "Redundant empty provider block"}, report["diagnostics"]


def expected_cidrs(vpc_cidr: str, subnet_bits: int, azs: tuple[str, ...]) -> dict[str, str]:
    """What 01_vpc.yaml's `!Cidr [VpcCidr, 6, SubnetBits]` hands each AZ: public i, private 3 + i."""
    blocks = list(ipaddress.ip_network(vpc_cidr).subnets(new_prefix=32 - subnet_bits))[:6]
    expected = {}
    for i, az in enumerate(azs):
        expected[f'aws_subnet.public["{az}"]'] = str(blocks[i])
        expected[f'aws_subnet.private["{az}"]'] = str(blocks[3 + i])
    return expected


# The default variant's carving is checked where it is applied (tests/e2e/test_end_to_end.py),
# and the network module's, for 1 to 3 AZs, by its own suite (terraform-modules/network/tests).
@pytest.mark.parametrize("name", ["custom_cidr", "one_az"])
def test_planned_subnet_cidrs_match_the_reference_carving(synthesized, name, tmp_path):
    config = synthesized.configs[name]
    planned = offline_plan(synthesized.stack_dir(name, "network"), tmp_path / "plan")
    subnets = {address: values["cidr_block"] for address, values in planned.items()
               if address.startswith("aws_subnet.")}
    assert subnets == expected_cidrs(config.vpc_cidr, config.subnet_bits, config.availability_zones)
    for az in config.availability_zones:
        assert planned[f'aws_subnet.public["{az}"]']["availability_zone"] == az
    # One instance per AZ, as the plan itself counts them.
    per_az = [a for a in planned if a.endswith(f'["{config.availability_zones[0]}"]')]
    assert len(planned) == 5 + len(per_az) * len(config.availability_zones)
    assert planned["aws_vpc.cluster"]["tags_all"]["owner"] == "platform-team"  # default tags reach resources


def test_custom_cidr_case_is_not_the_default_carving():
    # Guards the test above against a vacuous pass: the two layouts really differ.
    assert expected_cidrs("172.20.0.0/20", 8, ("a",)) != expected_cidrs("10.0.0.0/16", 12, ("a",))
    assert expected_cidrs("172.20.0.0/20", 8, ("a",))['aws_subnet.private["a"]'] == "172.20.3.0/24"


def test_cli_config_uses_the_mirror_when_there_is_one(tmp_path):
    from modules.operations.terraform import AWS_PROVIDER, MIRROR_ENV, cli_config_text, find_mirror

    mirror = tmp_path / "mirror"
    (mirror / AWS_PROVIDER).mkdir(parents=True)
    assert find_mirror({MIRROR_ENV: str(mirror)}) == mirror
    text = cli_config_text(mirror, tmp_path / "cache")
    assert f'path    = "{mirror}"' in text and "direct {" in text and "exclude" in text
    assert find_mirror({MIRROR_ENV: str(tmp_path / "empty")}) is None
    assert "provider_installation" not in cli_config_text(None, tmp_path / "cache")  # registry as usual


def test_terraform_runs_with_the_project_cli_config(tmp_path):
    import os
    import subprocess

    from modules.operations import PROJECT_ROOT
    from modules.operations.terraform import terraform_env

    # Whatever the machine points TF_CLI_CONFIG_FILE at (here: a missing file), ours wins.
    machine = {**os.environ, "TF_CLI_CONFIG_FILE": str(tmp_path / "missing.tfrc")}
    env = terraform_env(base=machine)
    assert env["TF_CLI_CONFIG_FILE"] == str(PROJECT_ROOT / ".terraform.d" / "terraformrc")
    result = subprocess.run(["terraform", "version"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "Unable to open CLI configuration file" not in result.stderr
    # The file the machine named would have been refused: the check above can tell the two apart.
    refused = subprocess.run(["terraform", "version"], cwd=tmp_path, env=machine, capture_output=True, text=True)
    assert "Unable to open CLI configuration file" in refused.stderr


def test_runs_writing_the_cli_configuration_at_once_each_finish(tmp_path, monkeypatch):
    """The threads of an apply's first level on a fresh checkout each write it: both staged files must
    still be there when each moves its own into place (with one shared name, the second found none)."""
    import threading
    from pathlib import Path

    from modules.operations import terraform as module

    both_staged, replace, failures = threading.Barrier(2, timeout=10), Path.replace, []

    def replace_once_both_staged(self, target):
        both_staged.wait()
        return replace(self, target)

    monkeypatch.setattr(Path, "replace", replace_once_both_staged)

    def write() -> None:
        try:
            module.write_cli_config(tmp_path / ".terraform.d")
        except OSError as error:
            failures.append(error)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(p.name for p in (tmp_path / ".terraform.d").iterdir()) == ["plugin-cache", "terraformrc"]
