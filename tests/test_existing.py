"""Existing infrastructure: a VPC, a private zone, instance profiles and KMS keys handed to the cluster.

The configuration's refusals name the field; the synthesized stacks of the
`existing` variant (tests/conftest.py, every option at once) create nothing that
was handed over and use what was; and the checks the network tier makes at plan
time run under `terraform test` with a mocked provider, offline: each bad subnet
fails the plan and names itself. The emulator flow that applies all of it is
tests/e2e/test_brownfield.py.
"""
from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import EXISTING, KEY_ARN, ROOT, ZONE_ROLE, group_refs, variant
from modules.configuration import ConfigError, parse_config
from modules.operations.terraform import init, run as terraform

TFTESTS = ROOT / "tests" / "tftest"


def problems(**changes: Any) -> list[str]:
    try:
        parse_config(variant(**changes))
    except ConfigError as error:
        return error.problems
    return []


def existing(**vpc: Any) -> dict[str, Any]:
    return {**copy.deepcopy(EXISTING["existing_vpc"]), **vpc}


# --------------------------------------------------------------------------- the configuration


def test_a_malformed_subnet_id_is_refused_with_its_path():
    subnets = existing()["subnets"]
    subnets["us-east-1b"]["private"] = "subnet-XYZ"
    found = problems(existing_vpc=existing(subnets=subnets))
    assert len(found) == 1 and found[0].startswith("existing_vpc.subnets.us-east-1b.private: \"subnet-XYZ\" is not valid")


def test_an_existing_vpc_is_not_held_to_the_carving_of_a_created_one():
    # Six /20 blocks do not fit a /20 VPC, but a handed VPC's subnets are its owner's.
    assert problems(vpc_cidr="10.0.0.0/20") != []
    assert problems(vpc_cidr="10.0.0.0/20", existing_vpc=existing()) == []


def test_every_availability_zone_needs_its_subnets_and_no_other_zone_may_have_any():
    subnets = existing()["subnets"]
    del subnets["us-east-1c"]
    subnets["us-east-1d"] = {"private": "subnet-0d1b2c3d4e5f60711", "public": "subnet-0d1b2c3d4e5f60721"}
    found = problems(existing_vpc=existing(subnets=subnets))
    assert any(p.startswith("existing_vpc.subnets: availability zone 'us-east-1c' has no subnets") for p in found)
    assert any(p.startswith("existing_vpc.subnets.us-east-1d: not one of availability_zones") for p in found)


def test_public_subnets_are_required_when_external_and_optional_when_internal():
    private_only = {"us-east-1a": {"private": "subnet-0a1b2c3d4e5f60711"}}
    found = problems(availability_zones=["us-east-1a"], existing_vpc=existing(subnets=private_only))
    assert found == ["existing_vpc.subnets.us-east-1a.public: missing; expected a public subnet ID, as publish is "
                     "External"]
    assert problems(availability_zones=["us-east-1a"], publish="Internal",
                    existing_vpc=existing(subnets=private_only)) == []
    found = problems(availability_zones=["us-east-1a"], publish="Internal", bootstrap={
        "ignition": "s3://ocp4-ignition/bootstrap.ign", "subnet": "public"}, existing_vpc=existing(subnets=private_only))
    assert found == ["existing_vpc.subnets.us-east-1a.public: missing; expected a public subnet ID, as bootstrap.subnet "
                     "is public"]


def test_one_subnet_cannot_serve_two_roles():
    subnets = existing()["subnets"]
    subnets["us-east-1a"]["public"] = subnets["us-east-1a"]["private"]
    found = problems(existing_vpc=existing(subnets=subnets))
    assert found == [f"existing_vpc.subnets.us-east-1a.public: {subnets['us-east-1a']['private']!r} is also "
                     "existing_vpc.subnets.us-east-1a.private; expected one subnet per role and AZ"]


def test_the_keys_that_shape_a_created_vpc_are_refused_with_an_existing_one():
    found = problems(existing_vpc=existing(), network_acl=True, restricted_network=True, nat_gateways=False)
    assert [p.split(":")[0] for p in found] == ["network_acl", "restricted_network", "nat_gateways"]
    assert all("existing_vpc is given" in p for p in found)


def test_kms_keys_must_be_of_the_partition_and_region_they_encrypt_in():
    gov_key = KEY_ARN.replace("arn:aws:", "arn:aws-us-gov:").replace("us-east-1", "us-gov-west-1")
    found = problems(compute={"root_volume_kms_key_arn": gov_key})
    assert found == [f"compute.root_volume_kms_key_arn: {gov_key!r} is in partition 'aws-us-gov'; expected a key of "
                     "the cluster's partition (aws)"]
    west = KEY_ARN.replace("us-east-1", "us-west-2")
    assert problems(control_plane={"root_volume_kms_key_arn": west}) == [
        f"control_plane.root_volume_kms_key_arn: {west!r} is a key of region 'us-west-2'; expected a key of us-east-1 "
        "(KMS keys are regional)"]
    # The state bucket's key goes with the state bucket's region.
    assert problems(state={"region": "us-west-2", "kms_key_arn": west}) == []
    assert problems(state={"region": "us-west-2", "kms_key_arn": KEY_ARN})[0].startswith(
        "state.kms_key_arn: ")
    assert problems(state={"kms_key_arn": "arn:aws:kms:us-east-1:123456789012:alias/ocp"})[0].startswith(
        "state.kms_key_arn: \"arn:aws:kms:us-east-1:123456789012:alias/ocp\" is not valid; expected a KMS key ARN")


def test_a_boundary_or_path_with_every_profile_existing_applies_to_nothing_and_is_refused():
    pools = {pool: {"instance_profile": f"corp-{pool}"} for pool in ("control_plane", "compute")}
    bootstrap = {"ignition": "s3://ocp4-ignition/bootstrap.ign", "instance_profile": "corp-bootstrap"}
    boundary = "arn:aws:iam::123456789012:policy/ocp-boundary"
    found = problems(**pools, bootstrap=bootstrap, iam_permissions_boundary=boundary, iam_path="/openshift/")
    assert [p.split(":")[0] for p in found] == ["iam_permissions_boundary", "iam_path"]
    assert all("every pool's instance_profile is an existing one" in p for p in found)
    assert problems(**pools, iam_permissions_boundary=boundary) == []  # the bootstrap role is still created
    found = problems(iam_permissions_boundary=boundary.replace("arn:aws:", "arn:aws-cn:"))
    assert found[0].startswith("iam_permissions_boundary: ") and "expected an ARN of the cluster's partition" in found[0]


def test_the_zone_role_needs_the_zone_and_the_ignition_key_needs_a_local_file():
    assert problems(private_zone_role_arn=ZONE_ROLE) == [
        "private_zone_role_arn: writes records into an existing private zone; expected private_zone_id as well, or null"]
    found = problems(bootstrap={"ignition": "s3://ocp4-ignition/bootstrap.ign", "ignition_kms_key_arn": KEY_ARN})
    assert found == ["bootstrap.ignition_kms_key_arn: encrypts the bucket the tier uploads a local bootstrap.ign to, and "
                     "bootstrap.ignition is a URL; expected null"]


def test_bootstrap_ignition_takes_an_https_url_with_a_query_but_not_http():
    config = parse_config(variant(**EXISTING))
    assert config.bootstrap.ignition.startswith("https://") and not config.bootstrap.ignition_is_local
    found = problems(bootstrap={"ignition": "http://203.0.113.7/bootstrap.ign"})
    assert found[0].startswith("bootstrap.ignition: \"http://203.0.113.7/bootstrap.ign\" is not valid")


def test_the_bootstrap_machine_is_public_when_external_and_private_when_internal_unless_told():
    assert parse_config(variant()).bootstrap_public is True
    assert parse_config(variant(publish="Internal")).bootstrap_public is False
    assert parse_config(variant(**EXISTING)).bootstrap_public is False  # External, but told "private"


# --------------------------------------------------------------------------- the stacks


def test_the_network_tier_creates_only_tags_and_the_asked_endpoint_with_the_same_outputs(synthesized):
    network = synthesized.stack("existing", "network")
    assert set(network["resource"]) == {"aws_ec2_tag", "aws_vpc_endpoint"}
    tags = network["resource"]["aws_ec2_tag"]["subnet"]["for_each"]
    subnets = EXISTING["existing_vpc"]["subnets"]
    assert {key: (row["subnet"], row["key"], row["value"]) for key, row in tags.items()} == {
        f"{az}/{role}/{tag}": (ids[role], key, value)
        for az, ids in subnets.items() for role, role_tag in (("private", "internal-elb"), ("public", "elb"))
        for tag, key, value in (("cluster", "kubernetes.io/cluster/ocp4-x7k2q", "shared"),
                                ("role", f"kubernetes.io/role/{role_tag}", "1"))}
    assert set(network["data"]) == {"aws_vpc", "aws_subnet", "aws_route_table", "aws_route_tables"}
    assert set(network["output"]) == set(synthesized.stack("default", "network")["output"])


def test_the_other_tiers_create_no_zone_and_no_role_for_a_handed_profile(synthesized):
    infra = synthesized.stack("existing", "cluster-infra")
    assert "aws_route53_zone" not in infra["resource"]
    assert {r["provider"] for r in infra["resource"]["aws_route53_record"].values() if r["name"].endswith(
        "ocp4.example.com") and r["zone_id"] == EXISTING["private_zone_id"]} == {"aws.private_zone"}
    [zone_provider] = [p for p in infra["provider"]["aws"] if p.get("alias") == "private_zone"]
    assert zone_provider["assume_role"][0]["role_arn"] == ZONE_ROLE
    security = synthesized.stack("existing", "security")
    assert set(security["resource"]["aws_iam_role"]) == {"worker"}  # masters: the handed profile
    assert security["resource"]["aws_iam_role"]["worker"]["path"] == "/openshift/"
    assert security["resource"]["aws_iam_role"]["worker"]["permissions_boundary"] == EXISTING["iam_permissions_boundary"]
    assert security["data"]["aws_iam_instance_profile"]["master"]["name"] == "corp-ocp-master"
    assert security["output"]["master_role_arn"]["value"] == "${data.aws_iam_instance_profile.master.role_arn}"


def test_machines_get_the_keys_the_groups_and_the_private_bootstrap_subnet(synthesized):
    workers = synthesized.resources("existing", "compute", "aws_instance")["worker"]
    assert workers["root_block_device"]["kms_key_id"] == KEY_ARN
    # The worker group, the cloud provider's -lb group (the default release, 4.22), then the handed ones.
    assert group_refs(workers["vpc_security_group_ids"])[2:] == EXISTING["compute"]["additional_security_group_ids"]
    bootstrap = synthesized.resources("existing", "bootstrap", "aws_instance")["bootstrap"]
    assert bootstrap["associate_public_ip_address"] is False
    assert "private_subnet_ids" in bootstrap["subnet_id"]
    assert "CKV_AWS_88" not in str(bootstrap.get("//", {}))  # no public IP to waive
    assert "replace" in bootstrap["user_data"] and EXISTING["bootstrap"]["ignition"] in bootstrap["user_data"]
    assert "aws_s3_bucket" not in synthesized.stack("existing", "bootstrap")["resource"]
    default = synthesized.resources("default", "bootstrap", "aws_instance")["bootstrap"]
    assert default["associate_public_ip_address"] is True and "public_subnet_ids" in default["subnet_id"]


def test_the_state_bucket_and_every_state_object_use_the_key(synthesized):
    encryption = synthesized.resources("existing", "state", "aws_s3_bucket_server_side_encryption_configuration")
    assert encryption["state"]["rule"][0]["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms", "kms_master_key_id": KEY_ARN}
    for tier in ("network", "cluster-infra", "security", "bootstrap", "control-plane", "compute"):
        stack = synthesized.stack("existing", tier)
        assert stack["terraform"]["backend"]["s3"]["kms_key_id"] == KEY_ARN, tier
        for remote in stack.get("data", {}).get("terraform_remote_state", {}).values():
            assert "kms_key_id" not in remote["config"], tier  # reading needs no key name


# --------------------------------------------------------------------------- checks at plan time


@pytest.mark.terraform
def test_the_network_tiers_plan_time_checks_name_each_bad_subnet(tmp_path: Path):
    """The existing_network module's plan-time checks, against a mocked provider whose data
    sources answer with subnets in the wrong VPC, AZ or CIDR: the module ships them
    (tests/checks.tftest.hcl, run with every module's suites by test_exported_modules.py);
    here, the message a user reads when one fails (tests/tftest/existing_network)."""
    module = ROOT / "terraform-modules" / "existing_network"
    for path in module.glob("*.tf"):
        shutil.copy(path, tmp_path)
    shutil.copytree(TFTESTS / "existing_network", tmp_path / "tests")
    init(tmp_path, backend=False)
    failed = terraform(["test", "-no-color", "-filter=tests/message.tftest.hcl"], tmp_path, check=False)
    assert failed.returncode == 1
    text = " ".join((failed.stdout + failed.stderr).split())
    assert ("Subnet subnet-0a00000000000000a (the private subnet of us-east-1a) is in availability zone us-east-1b, "
            "not in us-east-1a.") in text, text
