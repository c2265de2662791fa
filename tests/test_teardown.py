"""Finding what a running cluster created, and the order it goes in, on recorded API answers.

The answers are shaped as the AWS SDK returns them (describe_instances,
describe_load_balancers, list_resource_record_sets, ...); the end-to-end flows
run the same code against the emulator (tests/e2e/test_teardown.py).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import variant
from modules.configuration import Tier, parse_config
from modules.operations import teardown
from modules.operations.cluster_resources import ORDER, Answers, Found, Scope, managed_ids, plan_removal
from modules.operations.teardown import DataWouldBeLost

VPC, OTHER_VPC = "vpc-0a1b2c3d4e5f60718", "vpc-0fedcba9876543210"
SCOPE = Scope("ocp4-x7k2q", "ocp4.example.com", VPC, ("Z0PRIVATE0123", "Z0PUBLIC01234"))
OWNED = [{"Key": "kubernetes.io/cluster/ocp4-x7k2q", "Value": "owned"}]
SHARED = [{"Key": "kubernetes.io/cluster/ocp4-x7k2q", "Value": "shared"}]
ANOTHER = [{"Key": "kubernetes.io/cluster/other-9zq2w", "Value": "owned"}]
MANAGED = {"i-0managedmaster00", "sg-0worker000000000", "sgr-0managedrule000", "Z0PRIVATE0123_api.ocp4.example.com_A",
           "ocp4-x7k2q-bootstrap"}


def instance(ident, tags, vpc=VPC, state="running"):
    return {"InstanceId": ident, "VpcId": vpc, "Tags": tags, "State": {"Name": state}}


def record(name, kind="CNAME"):
    return {"Name": name, "Type": kind, "TTL": 30, "ResourceRecords": [{"Value": "x.elb.amazonaws.com"}]}


ANSWERS = Answers(
    instances=[instance("i-0machineset00000", OWNED), instance("i-0managedmaster00", OWNED),
               instance("i-0shared000000000", SHARED), instance("i-0other0000000000", ANOTHER),
               instance("i-0elsewhere000000", OWNED, OTHER_VPC), instance("i-0gone00000000000", OWNED, state="terminated")],
    load_balancers=[{"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/a98/1", "VpcId": VPC,
                     "LoadBalancerName": "a98", "Tags": OWNED},
                    {"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/ocp4-x7k2q-int/2",
                     "VpcId": VPC, "LoadBalancerName": "ocp4-x7k2q-int", "Tags": []}],
    classic_load_balancers=[{"LoadBalancerName": "a0123", "VPCId": VPC, "Tags": OWNED},
                            {"LoadBalancerName": "b4567", "VPCId": OTHER_VPC, "Tags": OWNED}],
    target_groups=[{"TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/k8s-tg/3", "VpcId": VPC,
                    "TargetGroupName": "k8s-tg", "Tags": OWNED},
                   {"TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/ocp4-x7k2q-aint/4",
                    "VpcId": VPC, "TargetGroupName": "ocp4-x7k2q-aint", "Tags": []}],
    network_interfaces=[{"NetworkInterfaceId": "eni-0left0000000000", "VpcId": VPC, "Status": "available",
                         "TagSet": OWNED},
                        {"NetworkInterfaceId": "eni-0inuse000000000", "VpcId": VPC, "Status": "in-use",
                         "TagSet": OWNED}],
    security_groups=[{"GroupId": "sg-0k8selb000000000", "GroupName": "k8s-elb-a0123", "VpcId": VPC, "Tags": OWNED},
                     {"GroupId": "sg-0k8snlb000000000", "GroupName": "k8s-nlb-a98", "VpcId": VPC, "Tags": OWNED},
                     {"GroupId": "sg-0worker000000000", "GroupName": "ocp4-x7k2q-worker-sg", "VpcId": VPC, "Tags": []},
                     {"GroupId": "sg-0default00000000", "GroupName": "default", "VpcId": VPC, "Tags": OWNED}],
    security_group_rules=[
        {"SecurityGroupRuleId": "sgr-0toelb000000000", "GroupId": "sg-0worker000000000", "IsEgress": False,
         "ReferencedGroupInfo": {"GroupId": "sg-0k8selb000000000"}},
        {"SecurityGroupRuleId": "sgr-0ofelb000000000", "GroupId": "sg-0k8selb000000000", "IsEgress": True,
         "CidrIpv4": "0.0.0.0/0"},
        # Between two groups that both go: revoked first, or neither group can be deleted.
        {"SecurityGroupRuleId": "sgr-0nlbtoelb000000", "GroupId": "sg-0k8snlb000000000", "IsEgress": True,
         "ReferencedGroupInfo": {"GroupId": "sg-0k8selb000000000"}},
        {"SecurityGroupRuleId": "sgr-0elbself0000000", "GroupId": "sg-0k8selb000000000", "IsEgress": False,
         "ReferencedGroupInfo": {"GroupId": "sg-0k8selb000000000"}},
        {"SecurityGroupRuleId": "sgr-0managedrule000", "GroupId": "sg-0worker000000000", "IsEgress": False,
         "ReferencedGroupInfo": {"GroupId": "sg-0worker000000000"}}],
    records={"Z0PRIVATE0123": [record("ocp4.example.com.", "SOA"), record("ocp4.example.com.", "NS"),
                               record("api.ocp4.example.com.", "A"), record("\\052.apps.ocp4.example.com.")],
             "Z0PUBLIC01234": [record("\\052.apps.ocp4.example.com."), record("www.example.com."),
                               record("ocp4.example.com.evil.example.com.")]},
    users=[{"UserName": "ocp4-x7k2q-openshift-image-registry-ab12", "Arn": "arn:aws:iam::1:user/a", "Tags": OWNED},
           {"UserName": "alice", "Arn": "arn:aws:iam::1:user/alice", "Tags": []}],
    buckets=[{"Name": "ocp4-x7k2q-image-registry-us-east-1-abc", "Tags": OWNED},
             {"Name": "ocp4-x7k2q-bootstrap", "Tags": OWNED}, {"Name": "other-bucket", "Tags": ANOTHER}],
    volumes=[{"VolumeId": "vol-0pv0000000000000", "Size": 10, "Tags": OWNED, "Attachments": []},
             {"VolumeId": "vol-0root00000000000", "Size": 120, "Tags": OWNED,
              "Attachments": [{"InstanceId": "i-0machineset00000", "DeleteOnTermination": True}]},
             {"VolumeId": "vol-0untagged000000", "Size": 10, "Tags": [], "Attachments": []}],
    snapshots=[{"SnapshotId": "snap-0pv00000000000", "VolumeId": "vol-0pv0000000000000", "Tags": OWNED},
               {"SnapshotId": "snap-0other0000000", "Tags": ANOTHER}],
)


def test_only_what_the_cluster_owns_in_its_vpc_and_zones_and_no_state_holds():
    found = {(f.kind, f.id) for f in plan_removal(ANSWERS, SCOPE, MANAGED)}
    assert found == {
        ("instance", "i-0machineset00000"),
        ("load balancer", "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/a98/1"),
        ("classic load balancer", "a0123"),
        ("target group", "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/k8s-tg/3"),
        ("network interface", "eni-0left0000000000"),  # detached; one in use goes with what uses it
        ("security group rule", "sgr-0toelb000000000"),  # the worker group's rule that references the ELB's group
        ("security group rule", "sgr-0nlbtoelb000000"),  # a rule a doomed group has on another doomed group
        ("security group", "sg-0k8selb000000000"),
        ("security group", "sg-0k8snlb000000000"),
        ("record", "*.apps.ocp4.example.com CNAME"),  # in both zones; Route 53 writes * as \052
        ("IAM user", "ocp4-x7k2q-openshift-image-registry-ab12"),
        ("bucket", "ocp4-x7k2q-image-registry-us-east-1-abc"),
        ("volume", "vol-0pv0000000000000"),  # the root volume goes with its instance
        ("snapshot", "snap-0pv00000000000"),
    }


def test_dependents_go_first_and_data_is_marked():
    found = plan_removal(ANSWERS, SCOPE, MANAGED)
    kinds = [f.kind for f in found]
    assert kinds == sorted(kinds, key=ORDER.index)
    assert kinds.index("instance") < kinds.index("load balancer") < kinds.index("security group rule") \
        < kinds.index("security group") < kinds.index("record")
    assert {f.kind for f in found if f.data} == {"bucket", "volume", "snapshot"}
    zones = sorted(f.get("zone") for f in found if f.kind == "record")
    assert zones == ["Z0PRIVATE0123", "Z0PUBLIC01234"]
    rules = {f.id: (f.get("group"), f.get("direction")) for f in found if f.kind == "security group rule"}
    assert rules == {"sgr-0toelb000000000": ("sg-0worker000000000", "ingress"),
                     "sgr-0nlbtoelb000000": ("sg-0k8snlb000000000", "egress")}


def test_without_a_vpc_nothing_vpc_scoped_is_taken():
    """The network tier's state is gone (or was never applied): no VPC, so no instance, balancer or group."""
    found = plan_removal(ANSWERS, Scope("ocp4-x7k2q", "ocp4.example.com", None, ()), MANAGED)
    assert {f.kind for f in found} == {"IAM user", "bucket", "volume", "snapshot"}


def test_a_weighted_record_is_known_by_its_set_identifier():
    weighted = {**record("api.ocp4.example.com.", "A"), "SetIdentifier": "blue"}
    answers = Answers(*([[]] * 7), {"Z0PUBLIC01234": [weighted]}, [], [], [], [])
    assert plan_removal(answers, SCOPE, {"Z0PUBLIC01234_api.ocp4.example.com_A_blue"}) == []
    assert [f.id for f in plan_removal(answers, SCOPE, {"Z0PUBLIC01234_api.ocp4.example.com_A"})] == \
        ["api.ocp4.example.com A"]


def test_tiers_that_build_on_a_cleaned_one_must_go_first_or_with_it():
    from modules.operations.deploy import DeployError

    states = {Tier.COMPUTE: {"resources": [{"type": "aws_instance"}]}, Tier.CONTROL_PLANE: {"resources": []}}
    with pytest.raises(DeployError, match="compute still hold resources and build on security"):
        teardown._dependents_go_too(states, ["security"])
    teardown._dependents_go_too(states, ["security", "compute"])  # named too: fine
    teardown._dependents_go_too(states, ["bootstrap"])  # builds on nothing being destroyed


def test_what_the_states_hold_is_managed():
    state = {"resources": [{"type": "aws_route53_record", "instances": [
        {"attributes": {"id": "Z0PRIVATE0123_api.ocp4.example.com_A", "name": "api.ocp4.example.com"}}]},
        {"type": "aws_instance", "instances": [{"index_key": "0", "attributes": {"id": "i-1", "arn": "arn:aws:ec2:x"}}]},
        # A data source reads what it does not manage: the ingress tier's look at the router's load balancer.
        {"mode": "data", "type": "aws_elb", "instances": [{"index_key": 0, "attributes": {"id": "a0123456789abcdef",
                                                                                          "arn": "arn:aws:elb:x"}}]}]}
    assert managed_ids([state, {}]) == {"Z0PRIVATE0123_api.ocp4.example.com_A", "i-1", "arn:aws:ec2:x"}


def test_the_refusal_names_the_data_and_the_flag():
    message = str(DataWouldBeLost([Found("bucket", "reg"), Found("volume", "vol-1", "10 GiB")]))
    assert "bucket reg" in message and "volume vol-1 (10 GiB)" in message and "--delete-data" in message
    assert "Nothing was destroyed" in message


def test_destroy_removes_the_clusters_resources_after_the_machine_tiers_and_before_the_rest(monkeypatch, tmp_path):
    """With the orchestration's terraform calls recorded: compute and control-plane go, then the
    cleanup runs once, then security and cluster-infra, then the network."""
    from modules.operations import terraform

    events = []
    monkeypatch.setattr(terraform, "run", lambda args, cwd, **kw: events.append((Path(cwd).name, args[0]))
                        or subprocess.CompletedProcess(args, 0, "", ""))
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / "manifest.json").write_text('{"stacks": {%s}}' % ", ".join(f'"ocp4-{t.value}": {{}}' for t in parse_config(variant()).tiers))
    monkeypatch.setattr(teardown, "ClusterRemoval", FakeRemoval)
    monkeypatch.setattr(teardown, "remove", lambda aws, found, log: events.append(("cleanup", len(found))))
    config = parse_config(variant())
    teardown.destroy(outdir, config, ["network", "security", "cluster-infra", "compute", "control-plane"],
                     log=lambda message: None)
    destroyed = [stack for stack, verb in events if verb == "destroy"]
    cleanup = events.index(("cleanup", 1))
    assert set(destroyed[:2]) == {"ocp4-compute", "ocp4-control-plane"}
    assert all(events.index((s, "destroy")) < cleanup for s in ("ocp4-compute", "ocp4-control-plane"))
    assert all(events.index((s, "destroy")) > cleanup for s in ("ocp4-security", "ocp4-cluster-infra", "ocp4-network"))
    assert destroyed[-1] == "ocp4-network"

    FakeRemoval.found = [Found("instance", "i-1"), Found("volume", "vol-1")]
    events.clear()
    with pytest.raises(DataWouldBeLost):
        teardown.destroy(outdir, config, ["network"], log=lambda message: None)
    assert events == []  # refused before anything ran


class FakeRemoval:
    found = [Found("instance", "i-1")]

    def __init__(self, config, outdir, env=None):
        self.aws = None

    def states(self):
        return {}

    def discover(self, states=None):
        return list(self.found)


def test_in_a_handed_private_zone_only_the_ingress_record_is_the_clusters():
    """A zone given as private_zone_id is the DNS team's: their records under the cluster's domain
    (an ACME challenge, a console alias) stay; the ingress operator's `*.apps` goes."""
    import dataclasses

    zone = "Z0PRIVATE0123"
    answers = dataclasses.replace(ANSWERS, records={zone: [
        record("ocp4.example.com.", "SOA"), record("\\052.apps.ocp4.example.com."),
        record("_acme-challenge.ocp4.example.com.", "TXT"), record("console.ocp4.example.com.")]})
    owned = Scope("ocp4-x7k2q", "ocp4.example.com", VPC, (zone,))
    handed = dataclasses.replace(owned, handed_zone_ids=(zone,))
    records = lambda scope: {f.id for f in plan_removal(answers, scope, set()) if f.kind == "record"}  # noqa: E731
    assert records(owned) == {"*.apps.ocp4.example.com CNAME", "_acme-challenge.ocp4.example.com TXT",
                              "console.ocp4.example.com CNAME"}
    assert records(handed) == {"*.apps.ocp4.example.com CNAME"}
