"""Day 2 without AWS: the guard's verdicts, drift in the review, and applying what was reviewed.

The orchestration runs real Terraform on a two-tier stand-in of a cluster made of
`terraform_data` resources (Terraform's built-in provider: no AWS, no download):
`ocp4-network` with local state and a `vpc_id` output, and `ocp4-security`,
which reads that output through `terraform_remote_state` as the real tiers do.
What only AWS can show (a rolled master, a refused VPC replacement) is on the
emulator, in tests/e2e/day2.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from modules.configuration import Tier
from modules.configuration.topology import STACK_FILE
from modules.operations import applying, plan_review, review_record, terraform
from modules.operations.drift import resource_drift, unmanaged_rules
from modules.operations.guard import Allowance, PlannedChange, Refused, refusals, stopping_masters
from test_plan_review import change, plan

# --- the guard's verdicts -------------------------------------------------------------------------


def test_replacing_or_deleting_a_precious_resource_is_refused_unless_allowed():
    vpc = PlannedChange("aws_vpc.vpc", "aws_vpc", "replace")
    subnet = PlannedChange('aws_subnet.private["us-east-1a"]', "aws_subnet", "replace")
    route = PlannedChange("aws_route.public", "aws_route", "replace")  # not precious
    assert refusals(Tier.NETWORK, [vpc, subnet, route], Allowance()) == [vpc, subnet]
    assert refusals(Tier.NETWORK, [vpc, subnet], Allowance.parse(["network"])) == []
    assert refusals(Tier.NETWORK, [vpc, subnet], Allowance.parse(["aws_vpc.vpc"])) == [subnet]
    assert refusals(Tier.NETWORK, [vpc], Allowance.parse(["security"])) == [vpc]  # another tier's allowance


def test_fewer_workers_delete_unasked_but_a_replaced_worker_or_a_deleted_master_is_refused():
    shrink = PlannedChange('aws_instance.worker["3"]', "aws_instance", "delete")
    replaced = PlannedChange('aws_instance.worker["1"]', "aws_instance", "replace")
    master = PlannedChange('aws_instance.master["2"]', "aws_instance", "delete")
    assert refusals(Tier.COMPUTE, [shrink, replaced], Allowance()) == [replaced]
    assert refusals(Tier.CONTROL_PLANE, [master], Allowance()) == [master]


def test_an_allowance_that_is_neither_a_tier_nor_an_address_is_a_usage_error():
    with pytest.raises(RuntimeError, match="neither a tier nor a resource address"):
        Allowance.parse(["netwrok"])


def test_in_place_updates_that_stop_masters_are_found_and_flagged():
    typed = change('aws_instance.master["1"]', ["update"], {"instance_type": "m5.xlarge", "tags": {}},
                   {"instance_type": "m5.2xlarge", "tags": {}})
    tagged = change('aws_instance.master["0"]', ["update"], {"tags": {"a": "1"}}, {"tags": {"a": "2"}})
    tenth = change('aws_instance.master["10"]', ["update"], {"instance_type": "a"}, {"instance_type": "b"})
    review = plan_review.review_tier("ocp4-control-plane", plan(tenth, typed, tagged))
    assert stopping_masters(review.changes) == ["1", "10"]  # numeric order; tags stop nothing
    assert review.attention == ['`aws_instance.master["10"]`: updated in place, which stops the machine (instance_type)',
                                '`aws_instance.master["1"]`: updated in place, which stops the machine (instance_type)']


# --- drift -----------------------------------------------------------------------------------------

def drifted(address: str, actions: list[str], before, after) -> dict:
    return {**change(address, actions, before, after)}


def test_drift_leaves_out_mirrors_and_empty_values_and_flags_rules_and_machines():
    drift = [
        drifted("aws_security_group.master", ["update"], {"ingress": [], "tags": None}, {"ingress": [{"x": 1}], "tags": {}}),
        drifted("aws_iam_role.master", ["update"], {"inline_policy": []}, {"inline_policy": [{"name": "p"}]}),
        drifted('aws_vpc_security_group_ingress_rule.master["ssh"]', ["delete"], {"from_port": 22}, None),
        drifted('aws_instance.master["0"]', ["update"], {"instance_type": "m5.xlarge", "root_block_device": [{"tags": None}]},
                {"instance_type": "t3.small", "root_block_device": [{"tags": {}}]}),
        drifted('aws_instance.master["1"]', ["update"], {"root_block_device": [{"tags": None, "iops": 3000}]},
                {"root_block_device": [{"tags": {}, "iops": 3000}]}),  # nothing but null-for-empty
        drifted("aws_route53_record.api", ["update"], {"ttl": 60}, {"ttl": 300}),
    ]
    found = resource_drift({"resource_drift": drift})
    assert [(d.address, d.deleted, d.attributes) for d in found] == [
        ('aws_vpc_security_group_ingress_rule.master["ssh"]', True, ()),
        ('aws_instance.master["0"]', False, ("instance_type",)),
        ("aws_route53_record.api", False, ("ttl",))]
    review = plan_review.review([("ocp4-security", {"resource_drift": drift, "resource_changes": []})],
                                outside=["`ocp4-x-master-sg` (sg-1): ingress from 0.0.0.0/0 (tcp 22-22), ..."])
    assert review.attention == [
        '`aws_vpc_security_group_ingress_rule.master["ssh"]`: deleted outside Terraform; this plan puts it back',
        '`aws_instance.master["0"]`: changed outside Terraform: instance_type; this plan puts it back',
        "`ocp4-x-master-sg` (sg-1): ingress from 0.0.0.0/0 (tcp 22-22), ..."]  # a TTL is no attention item
    assert "## Changed outside Terraform" in review.markdown()
    assert [d["address"] for d in review.summary()["drift"]["ocp4-security"]][-1] == "aws_route53_record.api"


class Rules:
    """describe_security_group_rules, as a paginator: the only call unmanaged_rules makes."""

    def __init__(self, rules: list[dict]):
        self.rules, self.filters = rules, None

    def get_paginator(self, operation: str):
        assert operation == "describe_security_group_rules"
        return self

    def paginate(self, Filters):  # noqa: N803 (boto3's spelling)
        self.filters = Filters
        rules = [rule for rule in self.rules if rule["GroupId"] in Filters[0]["Values"]]  # as EC2 filters
        return [{"SecurityGroupRules": rules[:1]}, {"SecurityGroupRules": rules[1:]}]


def test_rules_on_the_cluster_groups_that_no_state_holds_are_reported():
    state = {"resources": [
        {"mode": "managed", "type": "aws_security_group", "name": "master",
         "instances": [{"attributes": {"id": "sg-1", "name": "ocp4-x-master-sg"}}]},
        {"mode": "managed", "type": "aws_vpc_security_group_ingress_rule", "name": "master",
         "instances": [{"index_key": "api", "attributes": {"id": "sgr-managed", "security_group_rule_id": "sgr-managed"}}]}]}
    ec2 = Rules([{"SecurityGroupRuleId": "sgr-managed", "GroupId": "sg-1", "IsEgress": False, "IpProtocol": "tcp",
                  "FromPort": 6443, "ToPort": 6443, "CidrIpv4": "10.0.0.0/16"},
                 {"SecurityGroupRuleId": "sgr-console", "GroupId": "sg-1", "IsEgress": False, "IpProtocol": "tcp",
                  "FromPort": 22, "ToPort": 22, "CidrIpv4": "0.0.0.0/0"}])
    assert unmanaged_rules(ec2, [state, {}]) == [
        "`ocp4-x-master-sg` (sg-1): ingress from 0.0.0.0/0 (tcp 22-22), rule sgr-console, is managed by no "
        "Terraform state (added outside Terraform)"]
    assert ec2.filters == [{"Name": "group-id", "Values": ["sg-1"]}]
    assert unmanaged_rules(Rules([]), [{}]) == []  # no groups in any state: nothing to ask
    # The group handed to the cloud provider (tagged as the cluster's, releases.py's -lb group): the rules
    # the cloud provider writes there for the cluster's load balancers (a Classic ELB's from its group, an
    # NLB's with its descriptions) are not drift; anything else there is.
    lb = {"mode": "managed", "type": "aws_security_group", "name": "lb", "instances": [{"attributes": {
        "id": "sg-2", "name": "ocp4-x-lb", "tags": {"Name": "ocp4-x-lb", "kubernetes.io/cluster/ocp4-x": "owned"}}}]}
    ec2 = Rules([{"SecurityGroupRuleId": "sgr-clb", "GroupId": "sg-2", "IsEgress": False, "IpProtocol": "-1",
                  "ReferencedGroupInfo": {"GroupId": "sg-k8s-elb"}},
                 {"SecurityGroupRuleId": "sgr-nlb", "GroupId": "sg-2", "IsEgress": False, "IpProtocol": "tcp",
                  "FromPort": 31443, "ToPort": 31443, "CidrIpv4": "0.0.0.0/0",
                  "Description": "kubernetes.io/rule/nlb/client=a0123456789abcdef"},
                 {"SecurityGroupRuleId": "sgr-hand", "GroupId": "sg-2", "IsEgress": False, "IpProtocol": "tcp",
                  "FromPort": 22, "ToPort": 22, "CidrIpv4": "0.0.0.0/0"}])
    assert unmanaged_rules(ec2, [{"resources": state["resources"] + [lb]}]) == [
        "`ocp4-x-lb` (sg-2): ingress from 0.0.0.0/0 (tcp 22-22), rule sgr-hand, is managed by no Terraform state "
        "(added outside Terraform)"]


# --- applying what was reviewed, on a stand-in cluster -----------------------------------------------

def network(cidr: str) -> dict:
    return {"terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
            "resource": {"terraform_data": {"vpc": {"input": cidr, "triggers_replace": [cidr]}}},
            "output": {"vpc_id": {"value": "${terraform_data.vpc.id}"}}}


def security(outdir: Path, port: int) -> dict:
    state = str(outdir / "stacks" / "ocp4-network" / "terraform.tfstate")
    return {"terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
            "data": {"terraform_remote_state": {"network": {"backend": "local", "config": {"path": state}}}},
            "resource": {"terraform_data": {"rule": {
                "input": {"vpc": "${data.terraform_remote_state.network.outputs.vpc_id}", "port": port}}}}}


def write(outdir: Path, cidr: str = "10.0.0.0/16", port: int = 22) -> None:
    stacks = {"ocp4-network": network(cidr), "ocp4-security": security(outdir, port)}
    for name, document in stacks.items():
        (outdir / "stacks" / name).mkdir(parents=True, exist_ok=True)
        (outdir / "stacks" / name / STACK_FILE).write_text(json.dumps(document))
    (outdir / "manifest.json").write_text(json.dumps({"stacks": {name: {} for name in stacks}}))


def states(outdir: Path) -> dict[str, int]:
    return {name: json.loads((outdir / "stacks" / name / "terraform.tfstate").read_text())["serial"]
            for name in ("ocp4-network", "ocp4-security")}


def quiet(message: str) -> None:
    pass


@pytest.fixture
def cluster(tmp_path: Path) -> Path:
    outdir = tmp_path / "out"
    write(outdir)
    assert applying.apply(outdir, "ocp4", log=quiet) == ["ocp4-network", "ocp4-security"]
    return outdir


def reviewed(outdir: Path, folder: Path) -> plan_review.Review:
    result = plan_review.review_cluster(outdir, "ocp4", static=False, workers=1)
    plan_review.write_report(result, folder)
    return result


@pytest.mark.terraform
def test_an_applied_cluster_plans_empty_and_applies_nothing(cluster):
    assert applying.apply(cluster, "ocp4", log=quiet) == []


@pytest.mark.terraform
def test_the_reviewed_plans_are_applied_and_a_second_use_of_the_review_is_stale(cluster, tmp_path):
    write(cluster, port=443)
    result = reviewed(cluster, tmp_path / "review")
    assert [t.stack for t in result.tiers if t.changed] == ["ocp4-security"]
    record = review_record.load(tmp_path / "review")
    assert [(s.stack, s.changes) for s in record.stacks] == [("ocp4-network", False), ("ocp4-security", True)]
    before = states(cluster)
    assert applying.apply_reviewed(cluster, "ocp4", tmp_path / "review", log=quiet) == ["ocp4-security"]
    after = states(cluster)
    assert after["ocp4-network"] == before["ocp4-network"] and after["ocp4-security"] > before["ocp4-security"]
    with pytest.raises(Refused, match=r"stale: the state of ocp4-security \(reviewed at serial \d+, now serial \d+\)"):
        applying.apply_reviewed(cluster, "ocp4", tmp_path / "review", log=quiet)


@pytest.mark.terraform
def test_a_review_of_other_code_or_made_stale_by_another_apply_applies_nothing(cluster, tmp_path):
    write(cluster, port=443)
    reviewed(cluster, tmp_path / "review")
    write(cluster, port=8443)  # the code changed after the review
    with pytest.raises(Refused, match="synthesized code of ocp4-security is not what was reviewed") as refused:
        applying.apply_reviewed(cluster, "ocp4", tmp_path / "review", log=quiet)
    assert refused.value.applied == [] and "nothing was applied" in str(refused.value)
    write(cluster, cidr="10.1.0.0/16", port=443)  # someone applies another change meanwhile
    applying.apply(cluster, "ocp4", log=quiet)
    write(cluster, port=443)  # the code is the reviewed code again, but the states moved on
    before = states(cluster)
    with pytest.raises(Refused, match=r"stale: the state of ocp4-network \(.*\), ocp4-security"):
        applying.apply_reviewed(cluster, "ocp4", tmp_path / "review", log=quiet)
    assert states(cluster) == before


@pytest.mark.terraform
def test_a_downstream_plan_that_read_an_output_the_review_changes_is_not_applied(cluster, tmp_path):
    write(cluster, cidr="10.1.0.0/16")  # replaces the network's `vpc`: its id, the output, changes
    result = reviewed(cluster, tmp_path / "review")
    assert result.tiers[0].outputs == {"vpc_id": "update"}
    assert not result.tiers[1].changed  # planned with the output as it was
    before = states(cluster)
    with pytest.raises(Refused, match=r"changed ocp4-network\.vpc_id, which ocp4-security read: ") as refused:
        applying.apply_reviewed(cluster, "ocp4", tmp_path / "review", log=quiet)
    assert refused.value.applied == ["ocp4-network"]
    after = states(cluster)
    assert after["ocp4-security"] == before["ocp4-security"] and after["ocp4-network"] > before["ocp4-network"]


@pytest.mark.terraform
def test_apply_reads_the_plan_it_applies(cluster):
    """The guard's list of changes comes from the same `plan -json` run whose saved plan is applied."""
    write(cluster, cidr="10.1.0.0/16")
    folder = cluster / "stacks" / "ocp4-network"
    planned = PlannedChange.from_stream(plan_review.run_plan(folder, planfile="probe.tfplan").stdout)
    assert planned == [PlannedChange("terraform_data.vpc", "terraform_data", "replace")]
    terraform.run(["apply", "-input=false", "-no-color", "probe.tfplan"], folder)
    assert PlannedChange.from_stream(plan_review.run_plan(folder, planfile="probe.tfplan").stdout) == []


def test_what_each_synthesized_tier_reads_is_an_output_of_a_tier_it_depends_on(synthesized):
    """applied_record.reads finds the upstream outputs a reviewed plan was computed with; each must be
    declared by the upstream stack, which must be one of the tier's dependencies."""
    from modules.configuration.topology import DEPENDENCIES, stack_name, stacks_of
    from modules.operations.applied_record import reads as reading

    outdir = synthesized.outdir("default")
    order = [stack_name("ocp4", tier) for tier in synthesized.configs["default"].tiers]
    reads = reading(outdir, order)
    tiers = stacks_of("ocp4", order)
    for stack, pairs in reads.items():
        for upstream, name in pairs:
            assert tiers[upstream] in DEPENDENCIES[tiers[stack]], (stack, upstream)
            assert name in json.loads((outdir / "stacks" / upstream / STACK_FILE).read_text())["output"], name
        # Every dependency but the state tier (whose bucket is the others' backend) is read.
        assert {tiers[upstream] for upstream, _ in pairs} == set(DEPENDENCIES[tiers[stack]]) - {Tier.STATE}, stack


@pytest.mark.parametrize("argv", [["apply", "--reviewed", "review", "network"],
                                  ["apply", "--allow-replace", "netwrok"]])
def test_apply_usage_errors_exit_64_before_anything_runs(argv, monkeypatch, capsys):
    import main

    monkeypatch.setattr(main, "update", lambda *a, **k: pytest.fail("synthesized anyway"))
    assert main.main(argv, env={}) == main.USAGE
    assert "apply: " in capsys.readouterr().err


class Api:
    """The two reads wait_ready makes, answering from scripted sequences."""

    def __init__(self, states: list[str], health: list[str]):
        self.states, self.health, self.asked = states, health, []

    def __call__(self, service: str):
        return self

    def describe_instances(self, InstanceIds):  # noqa: N803
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"Reservations": [{"Instances": [{"State": {"Name": state}}]}]}

    def describe_target_health(self, TargetGroupArn, Targets):  # noqa: N803
        self.asked.append((TargetGroupArn, Targets))
        state = self.health.pop(0) if len(self.health) > 1 else self.health[0]
        return {"TargetHealthDescriptions": [{"TargetHealth": {"State": state}}]}


def test_the_next_master_waits_until_this_one_runs_and_is_healthy_everywhere():
    from modules.operations.guard import wait_ready

    api = Api(["stopped", "pending", "running"], ["initial", "healthy"])
    registrations = [{"target_group_arn": "arn:aws:elasticloadbalancing:r:1:targetgroup/aint/1", "target_id": "10.0.0.5",
                      "port": None}]
    naps = []
    wait_ready(api, {"id": "i-1"}, registrations, sleep=naps.append)
    assert len(naps) == 3  # stopped, pending, running but initial; then healthy
    assert api.asked[-1] == (registrations[0]["target_group_arn"], [{"Id": "10.0.0.5"}])  # no port: the group's


def test_a_master_that_never_turns_healthy_stops_the_roll_naming_the_target_group():
    from modules.operations.guard import wait_ready

    registrations = [{"target_group_arn": "arn:aws:elasticloadbalancing:r:1:targetgroup/sint/2", "target_id": "10.0.0.6",
                      "port": 22623}]
    with pytest.raises(RuntimeError, match=r"i-2: still waiting for healthy targets in targetgroup/sint/2"):
        wait_ready(Api(["running"], ["unhealthy"]), {"id": "i-2"}, registrations, timeout=0.05, sleep=lambda s: None)
