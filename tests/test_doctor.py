"""`main.py doctor` against the emulator: every check passes on a prepared account, and each fails alone,
with its fix, when its one condition is broken.

The account is one of its own (an assumed role of a fresh account ID) in a region no other
test uses, so the usage the quota check counts is this file's. `doctor` runs as users run it,
`main.py doctor` in a process whose environment holds only what the test gives it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from conftest import ROOT, make_install_dir
from emulator import quotas
from modules.configuration import Tier, load_configs
from modules.operations import doctor
from modules.operations.terraform import MIRROR_ENV

REGION, ZONES = "eu-west-3", ["eu-west-3a", "eu-west-3b", "eu-west-3c"]
ACCOUNT, OTHER_ACCOUNT = "210987654321", "310987654321"
# vCPUs of the example's machine types (EC2 instance types' documentation), for the needs below.
VCPUS = {"i3.large": 2, "m5.xlarge": 4, "m5.large": 2}


def prepared(emulator: str, account_id: str) -> dict[str, Any]:
    """A prepared account: credentials of its own, the public zone, vCPU quota for the cluster."""
    root = boto3.client("sts", endpoint_url=emulator, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")
    keys = root.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/doctor", RoleSessionName="doctor")["Credentials"]
    credentials = {"AWS_ACCESS_KEY_ID": keys["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": keys["SecretAccessKey"],
                   "AWS_SESSION_TOKEN": keys["SessionToken"]}
    domain = f"doctor-{uuid.uuid4().hex[:8]}.example.com"
    client(emulator, "route53", credentials).create_hosted_zone(Name=domain, CallerReference=domain)
    # The example's machines need 2 + 3*4 + 3*2 = 20 vCPUs; a new account's default is 5.
    quotas.set_quota(account_id, REGION, "ec2", "L-1216C47A", 64.0)
    return {"url": emulator, "credentials": credentials, "domain": domain}


@pytest.fixture(scope="module")
def account(emulator: str) -> dict[str, Any]:
    return prepared(emulator, ACCOUNT)


def client(url: str, service: str, credentials: dict[str, str]) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION,
                        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
                        aws_session_token=credentials.get("AWS_SESSION_TOKEN"))


def cluster(account: dict[str, Any], tmp_path: Path, **changes: Any) -> Path:
    install = make_install_dir(tmp_path / "install", cluster_name="doc", infra_id=f"doc-{uuid.uuid4().hex[:5]}",
                               region=REGION)
    services = ("ec2", "elbv2", "route53", "s3", "servicequotas", "sts")
    document = {"base_domain": account["domain"], "availability_zones": ZONES, "rhcos_ami": "ami-0123456789abcdef0",
                "openshift_install_dir": str(install), "aws_endpoints": {name: account["url"] for name in services},
                **changes}
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def run_main(command: list[str], config: Path, credentials: dict[str, str] | None,
             **env: str) -> subprocess.CompletedProcess[str]:
    """`main.py COMMAND` as a user runs it, in an environment holding only what the test gives it."""
    mirror = {MIRROR_ENV: os.environ[MIRROR_ENV]} if MIRROR_ENV in os.environ else {}  # a machine's own mirror
    environment = {"PATH": os.environ["PATH"], **mirror, "HOME": os.environ.get("HOME", "/tmp"),
                   "OCP_CLUSTER_CONFIG": str(config), "AWS_CONFIG_FILE": "/dev/null",
                   "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
                   "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", **(credentials or {}), **env}
    return subprocess.run([sys.executable, "main.py", *command], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)


def run_doctor(config: Path, credentials: dict[str, str] | None, **env: str) -> tuple[int, dict[str, str]]:
    """The exit status, and each check's lines by its name."""
    result = run_main(["doctor"], config, credentials, **env)
    checks: dict[str, str] = {}
    for line in result.stdout.splitlines():
        status, rest = line[:5].strip(), line[6:]
        name = next((check for check in doctor.CHECKS if rest.startswith(f"{check} ")), None)
        if name is not None:
            checks[name] = f"{status} {rest[25:].strip()}"
        elif status == "" and checks:
            checks[list(checks)[-1]] += "\n" + rest.strip()
    assert set(checks) == set(doctor.CHECKS), result.stdout + result.stderr
    return result.returncode, checks


def failed(checks: dict[str, str]) -> dict[str, str]:
    return {name: text for name, text in checks.items() if not text.startswith("ok ")}


def test_every_check_passes_on_a_prepared_account(account, tmp_path):
    status, checks = run_doctor(cluster(account, tmp_path), account["credentials"])
    assert failed(checks) == {} and status == 0, checks
    assert f"account {ACCOUNT}" in checks["credentials"] and "partition aws" in checks["credentials"]
    assert "is free: the state tier creates it" in checks["state-bucket"]
    assert account["domain"] in checks["public-zone"]
    assert "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances: 0 + 20 of 64" in checks["quotas"]


def test_no_credentials_fails_alone_with_its_fix(account, tmp_path):
    status, checks = run_doctor(cluster(account, tmp_path), None)
    assert status == 1
    assert set(failed(checks)) == {"credentials", "state-bucket", "public-zone", "quotas"}
    assert "no usable AWS credentials" in checks["credentials"] and "fix: export AWS_PROFILE" in checks["credentials"]
    for name in ("state-bucket", "public-zone", "quotas"):  # they could not run: named, not blamed
        assert "not checked: no usable AWS credentials" in checks[name]


def test_a_quota_too_small_fails_alone_with_its_fix(account, tmp_path):
    quotas.set_quota(ACCOUNT, REGION, "ec2", "L-0263D0A3", 2.0)  # three NAT gateways need three addresses
    try:
        status, checks = run_doctor(cluster(account, tmp_path), account["credentials"])
    finally:
        quotas.set_quota(ACCOUNT, REGION, "ec2", "L-0263D0A3", 5.0)
    assert status == 1 and set(failed(checks)) == {"quotas"}, checks
    assert "EC2-VPC Elastic IPs (ec2 L-0263D0A3): 0 in use + 3 needed > 2" in checks["quotas"]
    assert "fix: request an increase in the Service Quotas console" in checks["quotas"]


def test_a_state_bucket_name_taken_by_another_account_fails_alone(account, tmp_path):
    root = client(account["url"], "sts", {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    keys = root.assume_role(RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/other", RoleSessionName="other")["Credentials"]
    other = {"AWS_ACCESS_KEY_ID": keys["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": keys["SecretAccessKey"],
             "AWS_SESSION_TOKEN": keys["SessionToken"]}
    bucket = f"taken-{uuid.uuid4().hex[:8]}"
    client(account["url"], "s3", other).create_bucket(Bucket=bucket,
                                                      CreateBucketConfiguration={"LocationConstraint": REGION})
    status, checks = run_doctor(cluster(account, tmp_path, state={"bucket": bucket}), account["credentials"])
    assert status == 1 and set(failed(checks)) == {"state-bucket"}, checks
    assert f"{bucket} is taken by another account" in checks["state-bucket"]
    assert "fix: bucket names are global: set state.bucket" in checks["state-bucket"]
    # The same name in this account is the cluster's own state bucket from an earlier apply: fine.
    mine = f"mine-{uuid.uuid4().hex[:8]}"
    client(account["url"], "s3", account["credentials"]).create_bucket(
        Bucket=mine, CreateBucketConfiguration={"LocationConstraint": REGION})
    status, checks = run_doctor(cluster(account, tmp_path, state={"bucket": mine}), account["credentials"])
    assert status == 0 and f"{mine} exists in this account" in checks["state-bucket"], checks


def test_a_missing_public_zone_fails_alone_and_an_internal_cluster_needs_none(account, tmp_path):
    status, checks = run_doctor(cluster(account, tmp_path, base_domain="nozone.example.org"), account["credentials"])
    assert status == 1 and set(failed(checks)) == {"public-zone"}, checks
    assert "no public hosted zone named nozone.example.org." in checks["public-zone"]
    assert "fix: create the public zone nozone.example.org." in checks["public-zone"]
    status, checks = run_doctor(cluster(account, tmp_path, base_domain="nozone.example.org", publish="Internal"),
                                account["credentials"])
    assert status == 0 and "not needed: publish is Internal" in checks["public-zone"], checks


def test_old_ignition_configs_and_an_old_terraform_fail_alone(account, tmp_path):
    config = cluster(account, tmp_path)
    day_ago = time.time() - 25 * 3600
    os.utime(tmp_path / "install" / "bootstrap.ign", (day_ago, day_ago))
    status, checks = run_doctor(config, account["credentials"])
    assert status == 1 and set(failed(checks)) == {"openshift-install-folder"}, checks
    assert "25 hours old: its certificates expired after 24 hours" in checks["openshift-install-folder"]
    old = tmp_path / "old-terraform"
    old.mkdir()
    (old / "terraform").write_text('#!/bin/sh\necho \'{"terraform_version": "1.9.8"}\'\n')
    (old / "terraform").chmod(0o755)
    os.utime(tmp_path / "install" / "bootstrap.ign")
    status, checks = run_doctor(config, account["credentials"], PATH=f"{old}{os.pathsep}{os.environ['PATH']}")
    assert status == 1 and set(failed(checks)) == {"terraform"}, checks
    assert "1.9.8 is older than 1.10" in checks["terraform"] and "fix: install Terraform 1.10" in checks["terraform"]


def test_an_invalid_configuration_fails_and_names_its_key(account, tmp_path):
    status, checks = run_doctor(cluster(account, tmp_path, vpc_cidr="11.0.0.0/16"), account["credentials"])
    assert status == 1 and set(failed(checks)) == {"configuration", "credentials", "state-bucket", "public-zone",
                                                    "quotas", "openshift-install-folder"}, checks
    assert "vpc_cidr" in checks["configuration"]


def test_what_the_applied_tiers_hold_is_not_counted_twice_and_others_usage_is(emulator, tmp_path):
    """After the network tier: its three addresses are in use and in its state, so none is left to create
    and the default quota of 5 holds. Another team's NAT gateway, balancer and machine count as usage."""
    other = prepared(emulator, "410987654321")
    config_path = cluster(other, tmp_path)
    config = load_configs(config_path)[0]
    ec2, s3 = client(emulator, "ec2", other["credentials"]), client(emulator, "s3", other["credentials"])
    addresses = [ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in ZONES]
    s3.create_bucket(Bucket=config.resolved_state_bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    state = {"version": 4, "resources": [
        {"mode": "managed", "type": "aws_eip", "name": "nat", "instances": [{"attributes": {"id": a}} for a in addresses]},
        {"mode": "managed", "type": "aws_vpc", "name": "cluster", "instances": [{"attributes": {}}]},
        {"mode": "managed", "type": "aws_nat_gateway", "name": "nat", "instances": [{"attributes": {}}] * 3}]}
    s3.put_object(Bucket=config.resolved_state_bucket, Key=config.state_key(Tier.NETWORK), Body=json.dumps(state))
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24", AvailabilityZone=ZONES[0])["Subnet"]["SubnetId"]
    extra = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=subnet, AllocationId=extra)
    client(emulator, "elbv2", other["credentials"]).create_load_balancer(Name="team-b", Type="network",
                                                                          Subnets=[subnet])
    ec2.run_instances(ImageId="ami-0123456789abcdef0", InstanceType="m5.xlarge", MinCount=1, MaxCount=1,
                      SubnetId=subnet)
    status, checks = run_doctor(config_path, other["credentials"])
    assert status == 0, checks
    summary = checks["quotas"]
    assert "EC2-VPC Elastic IPs" not in summary  # 4 in use, the 3 of the state among them: none to create
    assert "VPCs per Region" not in summary
    assert "NAT gateways per Availability Zone" not in summary
    assert "Network Load Balancers per Region: 1 + 2 of 50" in summary
    assert "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances: 4 + 20 of 64" in summary
    quotas.set_quota("410987654321", REGION, "ec2", "L-0263D0A3", 3.0)  # 4 in use > 3: yet none to create
    assert run_doctor(config_path, other["credentials"])[0] == 0


def test_nat_gateways_are_counted_per_zone(emulator, tmp_path):
    team = prepared(emulator, "510987654321")
    ec2 = client(emulator, "ec2", team["credentials"])
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    for i, zone in enumerate(ZONES[:2]):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for _ in range(2 - i):  # two in the first zone, one in the second
            ec2.create_nat_gateway(SubnetId=subnet, AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    quotas.set_quota("510987654321", REGION, "ec2", "L-0263D0A3", 16.0)
    quotas.set_quota("510987654321", REGION, "vpc", "L-FE5A380F", 2.0)  # the first zone is full
    status, checks = run_doctor(cluster(team, tmp_path), team["credentials"])
    assert status == 1 and set(failed(checks)) == {"quotas"}, checks
    assert "NAT gateways per Availability Zone (vpc L-FE5A380F): 2 in use + 1 needed > 2" in checks["quotas"]


def test_a_mirror_without_the_pinned_provider_fails_alone(account, tmp_path):
    stale = tmp_path / "mirror" / "registry.terraform.io" / "hashicorp" / "aws" / "5.99.0" / "linux_amd64"
    stale.mkdir(parents=True)
    status, checks = run_doctor(cluster(account, tmp_path), account["credentials"],
                                OCP_TF_PROVIDER_MIRROR=str(tmp_path / "mirror"))
    assert status == 1 and set(failed(checks)) == {"provider"}, checks
    assert "has no registry.terraform.io/hashicorp/aws 5.100.0" in checks["provider"]
    assert "fix: add it: `terraform providers mirror" in checks["provider"]


def test_a_state_bucket_of_this_account_in_another_region_fails_alone(account, tmp_path):
    bucket = f"elsewhere-{uuid.uuid4().hex[:8]}"
    credentials = account["credentials"]
    boto3.client("s3", endpoint_url=account["url"], region_name="eu-central-1",
                 aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
                 aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
                 aws_session_token=credentials["AWS_SESSION_TOKEN"]).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    status, checks = run_doctor(cluster(account, tmp_path, state={"bucket": bucket}), account["credentials"])
    assert status == 1 and set(failed(checks)) == {"state-bucket"}, checks
    assert f"{bucket} is this account's, in eu-central-1; the state region is {REGION}" in checks["state-bucket"]


def test_an_unknown_instance_type_fails_the_quotas_naming_the_keys(account, tmp_path):
    status, checks = run_doctor(cluster(account, tmp_path, compute={"instance_type": "m5.huge"}),
                                account["credentials"])
    assert status == 1 and set(failed(checks)) == {"quotas"}, checks
    assert f"m5.huge is not an instance type of {REGION}" in checks["quotas"]
    assert "fix: correct the instance_type keys" in checks["quotas"]


def test_without_a_configuration_file_doctor_checks_no_example(account, tmp_path):
    status, checks = run_doctor(cluster(account, tmp_path), account["credentials"], OCP_CLUSTER_CONFIG="")
    assert status == 1 and "OCP_CLUSTER_CONFIG: unset" in checks["configuration"], checks
    assert "(see docs/configuration.md)" in checks["configuration"]


def test_before_the_ignition_configs_doctor_passes_and_says_the_machines_wait(account, tmp_path):
    folder = tmp_path / "before"
    (folder / "manifests").mkdir(parents=True)
    config = cluster(account, tmp_path, openshift_install_dir=str(folder), cluster_name="doc",
                     infra_id=f"doc-{uuid.uuid4().hex[:5]}", region=REGION)
    status, checks = run_doctor(config, account["credentials"])
    assert status == 0, checks
    assert "no Ignition configs yet; bootstrap, control-plane, compute wait" in checks["openshift-install-folder"]


def test_the_provider_version_doctor_looks_for_is_the_one_the_stacks_pin(synthesized):
    from modules.operations.terraform import AWS_PROVIDER_VERSION

    pinned = {stack["terraform"]["required_providers"]["aws"]["version"] for stack in (
        json.loads(path.read_text()) for path in synthesized.outdir("default").glob("stacks/*/cdk.tf.json"))}
    assert pinned == {AWS_PROVIDER_VERSION}


def instances(stack: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Every instance of `kind` in a synthesized stack (for_each maps are literal there)."""
    found = []
    for resource in stack.get("resource", {}).get(kind, {}).values():
        found += [resource] * (len(resource["for_each"]) if isinstance(resource.get("for_each"), dict) else 1)
    return found


@pytest.mark.parametrize("name", ["default", "internal", "one_az", "existing", "replicas_4"])
def test_what_doctor_counts_is_what_the_stacks_create(synthesized, name):
    stacks = [json.loads(path.read_text()) for path in synthesized.outdir(name).glob("stacks/*/cdk.tf.json")]
    every = lambda kind: [found for stack in stacks for found in instances(stack, kind)]  # noqa: E731
    needed = doctor.needs(synthesized.configs[name], VCPUS.__getitem__)
    assert needed[doctor.VPCS] == len(every("aws_vpc"))
    assert needed[doctor.ELASTIC_IPS] == len(every("aws_eip"))
    assert needed[doctor.NAT_GATEWAYS] == min(1, len(every("aws_nat_gateway")))  # at most one per zone
    assert needed[doctor.NETWORK_LOAD_BALANCERS] == sum(lb.get("load_balancer_type") == "network"
                                                        for lb in every("aws_lb"))
    assert needed[doctor.STANDARD_VCPUS] == sum(VCPUS[machine["instance_type"]] for machine in every("aws_instance"))



# AWS's "On-Demand Instance quotas": the standard quota's families, and families with quotas of their own.
@pytest.mark.parametrize("kind, counted", [
    ("m5.large", True), ("i3.large", True), ("c5d.2xlarge", True), ("r5.2xlarge", True), ("t3.xlarge", True),
    ("im4gn.large", True), ("z1d.large", True), ("a1.large", True), ("d3.xlarge", True), ("h1.2xlarge", True),
    ("g5.xlarge", False), ("p4d.24xlarge", False), ("x2iedn.xlarge", False), ("inf2.xlarge", False),
    ("trn1.2xlarge", False), ("hpc6a.48xlarge", False), ("dl1.24xlarge", False), ("mac1.metal", False),
    ("u-6tb1.metal", False), ("f1.2xlarge", False), ("vt1.3xlarge", False)])
def test_the_standard_vcpu_quota_covers_its_families_only(kind, counted):
    assert doctor.standard(kind) is counted


def test_a_waiting_cluster_whose_machine_tiers_have_state_is_not_applied_without_them(account, tmp_path):
    """Its Ignition configs are gone, and a fresh checkout has no synthesis record: the bucket tells."""
    folder = tmp_path / "before"
    (folder / "manifests").mkdir(parents=True)
    path = cluster(account, tmp_path, openshift_install_dir=str(folder), cluster_name="gone",
                   infra_id=f"gone-{uuid.uuid4().hex[:5]}", region=REGION)
    config = load_configs(path)[0]
    s3 = client(account["url"], "s3", account["credentials"])
    s3.create_bucket(Bucket=config.resolved_state_bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=config.resolved_state_bucket, Key=config.state_key(Tier.COMPUTE), Body=b"{}")
    for command in (["apply", "network"], ["plan-review"]):
        result = run_main(command, path, account["credentials"], CDKTF_OUTDIR=str(tmp_path / "out"))
        assert result.returncode == 65, result.stderr
        assert f"compute have state in s3://{config.resolved_state_bucket}" in result.stderr
    assert not (tmp_path / "out").exists()  # stopped before anything was synthesized
