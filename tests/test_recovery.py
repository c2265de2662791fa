"""Recovering from a run killed half-way (operations/locks.py, recovery.py), offline.

The kill itself, on a real apply, is the reliability job's (tests/e2e/reliability.py);
here: the lock report, the rule for breaking a lock, and finding what the killed run
left outside the state, against the in-process emulator (tests/conftest.py).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import variant
from modules.configuration import Tier, parse_config
from modules.operations import locks, recovery, terraform

# Terraform 1.11's lock diagnostic, as `plan -json` carries it and plan_review turns it into text.
LOCK_ERROR = """terraform plan -input=false failed in /x/stacks/ocp4-compute (exit 1):
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, https response error StatusCode: 412, RequestID: 1,
api error PreconditionFailed: At least one of the pre-conditions you specified did not hold
Lock Info:
  ID:        6f7c2a49-1d0e-5b7e-2c11-0f3b8f0f9a51
  Path:      ocp4-tfstate/ocp4/ocp4/compute/terraform.tfstate
  Operation: OperationTypeApply
  Who:       runner@ci-7
  Version:   1.11.4
  Created:   {created} +0000 UTC
  Info:


Terraform acquires a state lock to protect the state from being written
by multiple users at the same time."""


def lock_error(minutes_ago: int) -> terraform.TerraformError:
    created = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%d %H:%M:%S.123456789")
    result = subprocess.CompletedProcess(["terraform"], 1, "", LOCK_ERROR.format(created=created))
    return terraform.TerraformError(["plan"], "/x/stacks/ocp4-compute", result)


def test_a_lock_error_is_read_and_reported_with_its_id_holder_age_and_way_out():
    with pytest.raises(locks.StateLocked) as caught:
        locks.raise_if_locked([("ocp4-compute", lock_error(12)), ("ocp4-network", RuntimeError("other"))])
    message = str(caught.value)
    assert "ocp4-compute: lock 6f7c2a49-1d0e-5b7e-2c11-0f3b8f0f9a51, taken by apply of runner@ci-7, 12m0" in message
    assert "`python main.py unlock compute`" in message
    assert "terraform force-unlock -force 6f7c2a49-1d0e-5b7e-2c11-0f3b8f0f9a51" in message
    assert list(caught.value.locked) == ["ocp4-compute"]


def test_a_destroy_that_met_a_lock_is_reported_the_same_way():
    locked = locks.as_locked(lock_error(3))
    assert list(locked.locked) == ["ocp4-compute"] and "`python main.py unlock compute`" in str(locked)


def test_an_error_that_is_not_a_lock_passes_through():
    locks.raise_if_locked([("ocp4-network", RuntimeError("Error acquiring the state lock"))])  # not terraform's
    assert locks.as_locked(terraform.TerraformError(["plan"], ".", subprocess.CompletedProcess([], 1, "", "boom"))) \
        is None


def test_a_lock_object_reads_as_terraform_writes_it():
    lock = locks.Lock.from_object({"ID": "a1", "Operation": "OperationTypeApply", "Who": "me@host-1",
                                   "Version": "1.11.4", "Created": "2026-12-07T00:01:02.5Z", "Path": "b/k"})
    assert (lock.id, lock.host, lock.created) == ("a1", "host-1", datetime(2026, 12, 7, 0, 1, 2, tzinfo=timezone.utc))
    assert lock.age(datetime(2026, 12, 7, 1, 3, 4, tzinfo=timezone.utc)) == "1h2m02s"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A stack folder, initialized (its name is the test's own: terraform of other tests runs meanwhile)."""
    stack = stack_folder(tmp_path / "cdktf.out", "s3://test-holder/compute")
    (stack / terraform.RUN_MARKERS).mkdir(parents=True)
    return stack


def stack_folder(outdir: Path, state: str) -> Path:
    stack = outdir / "stacks" / "holder-2k9x-compute"
    stack.mkdir(parents=True)
    bucket, key = state.removeprefix("s3://").split("/", 1)
    (stack / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": {"s3": {"bucket": bucket, "key": key}}}}))
    return stack


def fake_terraform(tmp_path: Path) -> Path:
    """A process whose name is `terraform` (a script's name is its process name), sleeping."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "terraform"
    script.write_text("#!/bin/sh\nsleep 60\n")
    script.chmod(0o755)
    return script


def test_a_holder_is_gone_when_its_marker_outlived_it_and_alive_while_it_runs(folder, tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    marker = folder / terraform.RUN_MARKERS / f"{dead.pid}.json"
    marker.write_text(json.dumps({"pid": dead.pid}))
    assert locks.live_holders(folder) == []
    assert not marker.exists()  # a marker whose run is over is cleared
    script = fake_terraform(tmp_path)
    elsewhere = stack_folder(tmp_path / "changed", "s3://test-holder/compute")  # another output, the same state
    unrelated = stack_folder(tmp_path / "other-account", "s3://other-bucket/compute")  # the same name only
    running = [subprocess.Popen([script], cwd=cwd, start_new_session=True) for cwd in (elsewhere, unrelated)]
    try:
        time.sleep(0.3)
        # Found by its working directory (/proc): the same stack elsewhere holds the same lock; the other does not.
        assert locks.live_holders(folder) == [running[0].pid]
    finally:
        for process in running:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert locks.live_holders(folder) == []


def test_a_terraform_run_that_takes_the_lock_is_marked_while_it_runs_and_not_after(tmp_path, monkeypatch):
    (tmp_path / ".terraform").mkdir()
    seen = []
    real = terraform.subprocess.Popen

    class Watching(real):  # sees the markers while terraform runs
        def communicate(self, *args, **kwargs):
            seen.append([json.loads(p.read_text()) for p in (tmp_path / terraform.RUN_MARKERS).glob("*.json")])
            return super().communicate(*args, **kwargs)

    monkeypatch.setattr(terraform.subprocess, "Popen", Watching)
    terraform.run(["state", "list"], tmp_path, check=False)  # no state: fails, and takes the lock first
    terraform.run(["version"], tmp_path)  # takes no lock: unmarked
    assert len(seen) == 2 and seen[1] == []
    [marker] = seen[0]
    assert (marker["host"], marker["args"]) == (socket.gethostname(), ["state", "list"]) and marker["pid"] > 0
    assert list((tmp_path / terraform.RUN_MARKERS).glob("*.json")) == []  # gone once the run ended


class FakeAws:
    def __init__(self, lock: dict | None):
        self.lock = lock

    def __call__(self, service: str):
        return self

    def get_object(self, Bucket: str, Key: str):  # noqa: N803 (the SDK's names)
        from botocore.exceptions import ClientError

        assert Key.endswith("/compute/terraform.tfstate.tflock")
        if self.lock is None:
            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")

        class Body:
            def read(inner):
                return json.dumps(self.lock).encode()
        return {"Body": Body()}


@pytest.fixture
def stacks(tmp_path: Path) -> Path:
    """An output folder holding the example cluster's compute stack (its document is not read)."""
    folder = tmp_path / "stacks" / "ocp4-compute"
    folder.mkdir(parents=True)
    (folder / "cdk.tf.json").write_text("{}")
    return tmp_path


@pytest.mark.parametrize("host, force, broken", [(socket.gethostname(), False, True), ("ci-7", False, False),
                                                 ("ci-7", True, True)])
def test_unlock_breaks_a_lock_of_this_machine_whose_holder_is_gone_and_one_of_another_only_forced(
        stacks, monkeypatch, host, force, broken):
    config = parse_config(variant())
    ran = []
    monkeypatch.setattr(terraform, "run", lambda args, cwd, **kw: ran.append(list(args)))
    aws = FakeAws({"ID": "a1", "Who": f"me@{host}", "Operation": "OperationTypeApply"})
    result = locks.unlock(stacks, config, Tier.COMPUTE, aws, force=force)
    assert result.broken is broken
    assert (["force-unlock", "-force", "a1"] in ran) is broken
    if not broken:
        assert "--force" in result.reason


def test_unlock_of_a_tier_that_is_not_locked_breaks_nothing(stacks, monkeypatch):
    monkeypatch.setattr(terraform, "run", lambda *a, **kw: pytest.fail("nothing to break"))
    result = locks.unlock(stacks, parse_config(variant()), Tier.COMPUTE, FakeAws(None))
    assert (result.lock, result.broken, result.reason) == (None, False, "not locked")


def test_unlock_of_a_tier_that_is_not_synthesized_says_so(tmp_path, monkeypatch):
    result = locks.unlock(tmp_path, parse_config(variant()), Tier.INGRESS, FakeAws(None))
    assert (result.broken, result.reason) == (False, f"not synthesized in {tmp_path}: nothing to unlock")


# --------------------------------------------------------------------------- orphans


def test_what_a_killed_run_left_is_adopted_at_its_addresses_or_named(emulator, tmp_path):
    """A tier's code (a stand-in stack document), what AWS holds, and a state that recorded one machine."""
    import boto3

    from modules.operations.cluster_resources import Aws

    def client(service):
        return boto3.client(service, endpoint_url=emulator, region_name="us-east-1", aws_access_key_id="testing",
                            aws_secret_access_key="testing")

    ec2, iam, elbv2 = client("ec2"), client("iam"), client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    infra = "rec-4x9kq"
    document = {"resource": {
        "aws_iam_role": {"bootstrap": {"name": f"{infra}-bootstrap-role"}},
        "aws_iam_instance_profile": {"bootstrap": {"name": f"{infra}-bootstrap-profile",
                                                   "role": "${aws_iam_role.bootstrap.name}"}},
        "aws_iam_role_policy": {"bootstrap": {"name": f"{infra}-bootstrap-policy",
                                              "role": "${aws_iam_role.bootstrap.id}"}},
        "aws_security_group": {"bootstrap": {"name": f"{infra}-bootstrap-sg", "vpc_id": "${var.vpc}"}},
        "aws_vpc_security_group_ingress_rule": {"bootstrap": {"for_each": {"BootstrapIngressSsh": {"from_port": 22}},
                                                              "tags": {"Name": "${each.key}"}}},
        "aws_lb": {"internal": {"name": f"{infra}-int"}},
        "aws_route53_record": {"api": {"name": "api.example.com"}},  # not looked for: written again in place
        "aws_vpc_security_group_egress_rule": {
            "optional": {"for_each": "${var.rules}"},  # known at plan time: not looked for
            # AWS's allow-all egress rule of a new group, which a kill can leave before Terraform revokes it:
            # untagged, found by what it allows on the adopted group.
            "bootstrap": {"for_each": {"BootstrapEgressAll": {
                "ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0",
                "security_group_id": "${aws_security_group.bootstrap.id}"}}, "tags": {"Name": "${each.key}"}}},
        "aws_instance": {"master": {"for_each": {"0": {}, "1": {}, "2": {}},
                                    "tags": {"Name": f"{infra}-master-${{each.key}}"}}}}}

    iam.create_role(RoleName=f"{infra}-bootstrap-role", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName=f"{infra}-bootstrap-profile")
    iam.put_role_policy(RoleName=f"{infra}-bootstrap-role", PolicyName=f"{infra}-bootstrap-policy",
                        PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                       '"Action": "s3:GetObject", "Resource": "*"}]}')
    group = ec2.create_security_group(GroupName=f"{infra}-bootstrap-sg", Description="b", VpcId=vpc)["GroupId"]
    [default_egress] = [r["SecurityGroupRuleId"] for r in ec2.describe_security_group_rules(Filters=[
        {"Name": "group-id", "Values": [group]}])["SecurityGroupRules"] if r["IsEgress"]]
    rule = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": [
            {"Key": "Name", "Value": "BootstrapIngressSsh"}]}])["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    other = ec2.create_security_group(GroupName="other-9zq2w-bootstrap-sg", Description="another cluster's",
                                      VpcId=vpc)["GroupId"]  # a VPC two clusters share: same rule keys
    ec2.authorize_security_group_ingress(GroupId=other, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": [
            {"Key": "Name", "Value": "BootstrapIngressSsh"}]}])
    balancer = elbv2.create_load_balancer(Name=f"{infra}-int", Subnets=[subnet], Type="network",
                                          Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]

    def machine(name: str) -> str:
        return ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet, TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}])["Instances"][0]["InstanceId"]

    recorded = machine(f"{infra}-master-0")  # the state holds it
    lost = machine(f"{infra}-master-1")
    twin = machine(f"{infra}-master-0")  # created again for a machine the state already holds
    machine(f"{infra}-worker-0")  # another tier's
    state = {"resources": [{"mode": "managed", "type": "aws_instance", "name": "master", "instances": [
        {"index_key": "0", "attributes": {"id": recorded}}]}]}

    endpoints = {s: emulator for s in ("ec2", "iam", "s3", "sts", "route53", "elb", "elbv2")}
    aws = Aws(parse_config(variant(aws_endpoints=endpoints)),
              {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    orphans = recovery.find_orphans(document, state, [state], vpc, infra, aws)
    assert {o.id: o.address for o in orphans} == {
        f"{infra}-bootstrap-role": "aws_iam_role.bootstrap",
        f"{infra}-bootstrap-profile": "aws_iam_instance_profile.bootstrap",
        f"{infra}-bootstrap-role:{infra}-bootstrap-policy": "aws_iam_role_policy.bootstrap",
        group: "aws_security_group.bootstrap",
        rule: 'aws_vpc_security_group_ingress_rule.bootstrap["BootstrapIngressSsh"]',
        default_egress: 'aws_vpc_security_group_egress_rule.bootstrap["BootstrapEgressAll"]',
        balancer: "aws_lb.internal",
        lost: 'aws_instance.master["1"]',
        twin: None}
    assert f"aws ec2 terminate-instances --instance-ids {twin}" in str(next(o for o in orphans if o.id == twin))
    assert recovery.computed(document) == ["aws_vpc_security_group_egress_rule.optional"]
    written = recovery.write_imports(tmp_path, orphans)
    assert {"to": 'aws_instance.master["1"]', "id": lost} in json.loads(written.read_text())["import"]
    assert len(json.loads(written.read_text())["import"]) == 8
    recovery.drop_imports(tmp_path)
    assert not written.exists()
    assert recovery.write_imports(tmp_path, [o for o in orphans if o.address is None]) is None
    # Once every object is in a state, nothing is an orphan any more.
    adopted = {"resources": [{"mode": "managed", "type": "x", "name": "y", "instances": [
        {"attributes": {"id": o.id}} for o in orphans]}]}
    assert recovery.find_orphans(document, state, [state, adopted], vpc, infra, aws) == []


def test_destroy_refuses_a_tier_whose_import_blocks_are_not_applied(tmp_path, monkeypatch):
    from modules.configuration.topology import IMPORTS_FILE
    from modules.operations import deploy

    monkeypatch.setattr(terraform, "run", lambda *a, **kw: pytest.fail("nothing may be destroyed"))
    (tmp_path / "manifest.json").write_text(json.dumps({"stacks": {"ocp4-compute": {}, "ocp4-network": {}}}))
    folder = tmp_path / "stacks" / "ocp4-compute"
    folder.mkdir(parents=True)
    recovery.write_imports(folder, [recovery.Orphan("aws_instance", "i-0a1", "ocp4-worker-1",
                                                    'aws_instance.worker["1"]')])
    with pytest.raises(deploy.DeployError, match=f"ocp4-compute hold import blocks .*{IMPORTS_FILE}"):
        deploy.destroy(tmp_path, "ocp4", ["compute"])
