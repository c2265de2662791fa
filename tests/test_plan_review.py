"""The plan review: counts, changed attributes and the Attention list, from Terraform's plan JSON.

Plans are written in Terraform's documented `show -json` shape for each kind of
change; one test reads a real plan of the network stack.
"""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import OFFLINE_OVERRIDE, markdown_tables
from modules.configuration import IamProfile, Tier
from modules.constructs.iam import POLICIES, policy_document
from modules.operations.plan_review import plan_tier, review, review_tier

RULE = {"security_group_id": "sg-1", "ip_protocol": "tcp", "from_port": 22, "to_port": 22,
        "cidr_ipv4": "10.0.0.0/16", "description": "SSH from the VPC"}


def change(address: str, actions: list[str], before=None, after=None) -> dict:
    kind = address.split("[")[0].split(".")[-2]
    return {"address": address, "mode": "managed", "type": kind,
            "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}}}


def plan(*changes: dict) -> dict:
    return {"format_version": "1.2", "resource_changes": list(changes)}


def test_no_changes_means_exit_zero_and_no_attention():
    result = review([("ocp4-network", plan(change("aws_vpc.cluster", ["no-op"], {"id": "vpc-1"}, {"id": "vpc-1"})))])
    assert not result.changed and result.attention == []
    assert "## Attention\n\nNone." in result.markdown()


def test_one_more_worker_is_one_instance_to_add_in_compute():
    worker = change('aws_instance.worker["3"]', ["create"], None, {"instance_type": "m5.large"})
    result = review([("ocp4-network", plan()), ("ocp4-compute", plan(worker))], target=Tier.COMPUTE, cluster="ocp4")
    assert result.summary()["tiers"]["ocp4-compute"] == {"add": 1, "change": 0, "replace": 0, "destroy": 0}
    assert result.attention == []


def test_a_rule_opened_to_the_world_needs_attention():
    opened = {**RULE, "cidr_ipv4": "0.0.0.0/0"}
    rule = change('aws_vpc_security_group_ingress_rule.cluster["MasterIngressSsh"]', ["update"], RULE, opened)
    [item] = review_tier("ocp4-security", plan(rule)).attention
    assert "opened to 0.0.0.0/0 (tcp 22-22)" in item
    new_rule = change('aws_vpc_security_group_ingress_rule.cluster["Debug"]', ["create"], None,
                      {**RULE, "cidr_ipv4": None, "cidr_ipv6": "::/0"})
    assert "opened to ::/0" in review_tier("ocp4-security", plan(new_rule)).attention[0]


def test_a_widened_port_range_needs_attention_a_narrowed_one_does_not():
    wider = change('aws_vpc_security_group_ingress_rule.cluster["X"]', ["update"], RULE,
                   {**RULE, "from_port": 0, "to_port": 65535})
    narrower = change('aws_vpc_security_group_ingress_rule.cluster["Y"]', ["update"],
                      {**RULE, "from_port": 0, "to_port": 65535}, RULE)
    assert review_tier("t", plan(wider)).attention == [
        '`aws_vpc_security_group_ingress_rule.cluster["X"]`: ports widen from tcp 22-22 to tcp 0-65535']
    assert review_tier("t", plan(narrower)).attention == []


def test_switching_to_the_documented_profile_shows_the_added_actions():
    """The policies are the project's own tables: the diff must name what `documented` adds."""
    before = {"policy": policy_document(POLICIES[(IamProfile.LEAST_PRIVILEGE, "worker")])}
    after = {"policy": policy_document(POLICIES[(IamProfile.DOCUMENTED, "worker")])}
    [item] = review_tier("ocp4-security", plan(change("aws_iam_role_policy.worker", ["update"], before, after))).attention
    assert item == "`aws_iam_role_policy.worker`: IAM grants added: `ec2:Describe* on *`"
    # Going back removes grants: nothing to flag.
    assert review_tier("s", plan(change("aws_iam_role_policy.worker", ["update"], after, before))).attention == []


def test_replacing_or_destroying_precious_resources_needs_attention():
    result = review_tier("ocp4-network", plan(
        change("aws_vpc.cluster", ["delete", "create"], {"cidr_block": "10.0.0.0/16"}, {"cidr_block": "10.1.0.0/16"}),
        change('aws_subnet.public["us-east-1a"]', ["delete", "create"], {"cidr_block": "10.0.0.0/20"},
               {"cidr_block": "10.1.0.0/20"}),
        change("aws_eip.nat", ["delete"], {"domain": "vpc"}, None)))
    assert result.counts == {"add": 0, "change": 0, "replace": 2, "destroy": 1}
    assert result.attention == ["`aws_vpc.cluster`: aws_vpc will be replaced",
                                '`aws_subnet.public["us-east-1a"]`: aws_subnet will be replaced',
                                "`aws_eip.nat`: aws_eip will be destroyed"]
    assert [c.attributes for c in result.changes[:2]] == [["cidr_block"], ["cidr_block"]]


def test_a_replacement_lists_configured_attributes_and_what_forces_it():
    subnet = change('aws_subnet.public["us-east-1a"]', ["delete", "create"],
                    {"cidr_block": "10.0.0.0/20", "vpc_id": "vpc-1", "arn": "arn:1", "id": "subnet-1"},
                    {"cidr_block": "10.1.0.0/20", "vpc_id": None, "arn": None, "id": None})
    subnet["name"] = "public"
    subnet["change"]["after_unknown"] = {"vpc_id": True, "arn": True, "id": True}
    subnet["change"]["replace_paths"] = [["cidr_block"], ["vpc_id"]]
    configuration = {"root_module": {"resources": [
        {"address": "aws_subnet.public", "expressions": {"cidr_block": {}, "vpc_id": {}, "tags": {}}}]}}
    [found] = review_tier("ocp4-network", {**plan(subnet), "configuration": configuration}).changes
    assert found.attributes == ["cidr_block", "vpc_id"]  # arn and id are computed: not listed
    assert found.describe() == "cidr_block (forces replacement), vpc_id (forces replacement)"


def test_changes_outside_the_target_tier_need_attention():
    worker = change('aws_instance.worker["3"]', ["create"], None, {})
    route = change("aws_route.public_internet", ["update"], {"gateway_id": "igw-1"}, {"gateway_id": "igw-2"})
    result = review([("ocp4-network", plan(route)), ("ocp4-compute", plan(worker))], target=Tier.COMPUTE, cluster="ocp4")
    assert result.attention == ["`ocp4-network` changes, but the change targets the compute tier"]


def test_report_tables_are_well_formed_and_the_summary_counts_the_plan():
    rule = change('aws_vpc_security_group_ingress_rule.cluster["a|b"]', ["update"], RULE,
                  {**RULE, "cidr_ipv4": "0.0.0.0/0"})
    result = review([("ocp4-security", plan(rule, change("aws_iam_role.master", ["delete"], {}, None)))])
    tables = markdown_tables(result.markdown())
    assert [row[0] for row in tables[-1]] == ["resource", "`aws_vpc_security_group_ingress_rule.cluster[\"a\\|b\"]`",
                                             "`aws_iam_role.master`"]
    summary = json.loads(json.dumps(result.summary()))
    assert summary["tiers"]["ocp4-security"] == {"add": 0, "change": 1, "replace": 0, "destroy": 1}
    assert len(summary["attention"]) == 2


@pytest.mark.terraform
def test_a_real_plan_counts_what_the_stack_declares(synthesized, tmp_path):
    workdir = tmp_path / "network"
    shutil.copytree(synthesized.stack_dir("default", "network"), workdir,
                    ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    (workdir / "offline_override.tf.json").write_text(json.dumps(OFFLINE_OVERRIDE))
    result = review([plan_tier(workdir)]).tiers[0]
    declared = sum(len(r["for_each"]) if "for_each" in r else 1
                   for resources in synthesized.stack("default", "network")["resource"].values()
                   for r in resources.values())
    assert result.counts == {"add": declared, "change": 0, "replace": 0, "destroy": 0}
    [vpc] = [c for c in result.changes if c.type == "aws_vpc"]
    declared_vpc = next(iter(synthesized.stack("default", "network")["resource"]["aws_vpc"].values()))
    assert "cidr_block" in vpc.attributes and set(vpc.attributes) <= set(declared_vpc)  # no computed noise
    assert result.reported == {"add": declared, "change": 0, "import": 0, "remove": 0, "operation": "plan"}
    assert result.attention == []  # a new VPC opens nothing to the world and replaces nothing


@pytest.mark.terraform
def test_a_state_tier_without_its_local_state_is_noted(synthesized, tmp_path):
    """A fresh checkout (a CI runner) has no local state for the state tier: say so, don't just plan it as new."""
    workdir = tmp_path / "ocp4-state"
    shutil.copytree(synthesized.stack_dir("default", "state"), workdir,
                    ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    (workdir / "offline_provider_override.tf.json").write_text(json.dumps({"provider": OFFLINE_OVERRIDE["provider"]}))
    result = review([plan_tier(workdir)])
    [tier] = result.tiers
    assert tier.counts["add"] > 0 and tier.note is not None and "has none" in tier.note
    assert result.summary()["notes"] == {"ocp4-state": tier.note}
    assert f"## Notes\n\n- {tier.note}" in result.markdown()


def test_a_failed_check_block_is_a_note_of_its_tier():
    """Terraform plans on past a failed `check` (a warning); the review says it under Notes. The line is
    what `terraform plan -json` printed here for a check block whose assertion failed."""
    from modules.operations.plan_review import TierPlan, failed_checks, review

    line = ('{"@level":"warn","@message":"Warning: Check block assertion failed","@module":"terraform.ui",'
            '"diagnostic":{"severity":"warning","summary":"Check block assertion failed","detail":"x is empty: '
            'apply later","snippet":{"context":"check.router_load_balancer.assert[0]","code":"..."}},'
            '"type":"diagnostic"}')
    other = '{"@level":"warn","diagnostic":{"severity":"warning","summary":"Deprecated attribute"},"type":"diagnostic"}'
    stdout = "\n".join([other, line, '{"type":"change_summary","changes":{"add":0}}'])
    assert failed_checks(stdout) == ["`check.router_load_balancer`: x is empty: apply later"]
    result = review([TierPlan("ocp4-ingress", {}, {"add": 0, "change": 0, "remove": 0}, None, None,
                              tuple(failed_checks(stdout)))])
    assert not result.changed and result.attention == []
    assert "- `ocp4-ingress`: `check.router_load_balancer`: x is empty: apply later" in result.markdown()
