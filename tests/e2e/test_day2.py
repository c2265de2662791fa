"""Day 2 on running clusters (e2e/day2.py, e2e/review.py): refusals that change nothing, drift in the
review, and a reviewed change applied with the masters rolled one at a time.

Expected values come from the changes those files make and the tier tables, never from the
record under test.
"""
from __future__ import annotations

import pytest

from e2e.conftest import BROWNFIELD, SELECTED
from e2e.day2 import DAY2, NEW_MASTER_TYPE
from modules.configuration.machines import CONTROL_PLANE_REPLICAS

pytestmark = pytest.mark.e2e

INFRA = "ocp4-x7k2q"
MASTERS = {f"{INFRA}-master-{i}" for i in range(CONTROL_PLANE_REPLICAS)}
internal = pytest.mark.skipif(BROWNFIELD not in SELECTED, reason="the brownfield flow is not selected")


@pytest.fixture(scope="module")
def day2(flows):
    return flows[BROWNFIELD].extras["day2"]


def test_a_review_made_stale_by_another_apply_is_refused_with_nothing_applied(refusals):
    assert refusals.stale is not None, "apply --reviewed of a stale review went ahead"
    message = str(refusals.stale)
    assert "the review is stale: the state of ocp4-control-plane" in message and "nothing was applied" in message
    before, after = refusals.unchanged_by_stale
    assert before == after  # the same masters, addresses and registrations: the review's +1 worker not made


def test_a_new_vpc_cidr_is_refused_naming_the_vpc_and_its_subnets_and_the_vpc_stays(refusals):
    assert refusals.refused is not None, "apply replaced the VPC"
    message = str(refusals.refused)
    assert "ocp4-network would " in message and "aws_vpc." in message and "--allow-replace" in message
    azs = ("us-east-1a", "us-east-1b", "us-east-1c")
    for az in azs:
        assert f'"{az}"] (replaced)' in message, az  # every subnet named, public and private
    assert message.count("aws_subnet.") == 2 * len(azs)
    assert refusals.refused.applied == []  # the state tier had nothing to apply; network was refused
    before, after = refusals.vpcs
    assert before == after and [cidr for _, cidr in after] == ["10.0.0.0/16"]


def test_a_rule_deleted_by_hand_and_one_added_by_hand_are_under_attention(changed_review):
    attention = changed_review.result.attention
    assert any('["MasterIngressSsh"]`: deleted outside Terraform' in item for item in attention), attention
    assert any(f"`{INFRA}-worker-sg`" in item and "ingress from 0.0.0.0/0 (tcp 22-22)" in item
               and changed_review.unmanaged_rule in item for item in attention), attention
    unmanaged = [item for item in attention if "is managed by no Terraform state" in item]
    assert len(unmanaged) == 1, unmanaged  # every other rule on the cluster's groups is in a state


def changes(review) -> dict[str, list[tuple[str, str]]]:
    return {t.stack: sorted((c.address, c.action) for c in t.changes) for t in review.tiers if t.changed}


@internal
def test_the_review_holds_exactly_the_day2_changes(day2):
    """The new instance type and worker, and the move from 4.15 to the default release in the security
    tier: the worker group's Name tag, the new -lb group and its egress rule. Nothing replaced or
    deleted (releases.py). The machine tiers' plans were made before that group existed."""
    assert changes(day2.review) == {
        "ocp4-security": [("aws_security_group.lb", "create"), ("aws_security_group.worker", "update"),
                          ('aws_vpc_security_group_egress_rule.cluster["LbEgressAll"]', "create")],
        "ocp4-control-plane": [(f'aws_instance.master["{i}"]', "update") for i in range(CONTROL_PLANE_REPLICAS)],
        "ocp4-compute": [(f'aws_instance.worker["{DAY2["compute"]["replicas"] - 1}"]', "create")]}
    by_address = {c.address: c for t in day2.review.tiers for c in t.changes}
    assert by_address["aws_security_group.worker"].attributes == ["tags"]  # its name stays: no replacement
    [control_plane] = [t for t in day2.review.tiers if t.stack == "ocp4-control-plane"]
    assert all(c.attributes == ["instance_type"] for c in control_plane.changes)  # not ami, not user_data
    # The machine tiers say why they plan without the -lb group (a check; Notes in the report).
    for stack, role in (("ocp4-control-plane", "master"), ("ocp4-compute", "worker")):
        [tier] = [t for t in day2.review.tiers if t.stack == stack]
        assert tier.checks == [f"`check.{role}_lb_group`: The security tier is not applied for OpenShift 4.22 yet "
                               f"(it has no lb_security_group_id): the {role}s plan without the cloud provider's "
                               "ocp4-x7k2q-lb group. Apply the security tier first (`main.py apply` does), then plan "
                               "this tier again."], tier.checks
    assert all(not t.checks for t in day2.second_review.tiers)
    stops = [item for item in day2.review.attention if "which stops the machine (instance_type)" in item]
    assert len(stops) == CONTROL_PLANE_REPLICAS
    # The new group's allow-all egress is a rule opened to the world, as every group's was when it was made;
    # else no drift, no unmanaged rule on a cluster nobody touched.
    assert day2.review.attention == ['`aws_vpc_security_group_egress_rule.cluster["LbEgressAll"]`: opened to '
                                     "0.0.0.0/0 (all traffic)", *stops]


@internal
def test_applying_it_stops_after_the_security_tier_and_asks_for_a_new_review(day2):
    assert day2.stopped is not None and day2.stopped.applied == ["ocp4-security"]
    message = str(day2.stopped)
    assert "ocp4-security.lb_security_group_id" in message and "review them again" in message
    assert "ocp4-control-plane" in message and "ocp4-compute" in message


@internal
def test_the_new_review_puts_the_lb_group_on_every_machine_in_place(day2, flows):
    workers = flows[BROWNFIELD].config.compute.replicas
    assert changes(day2.second_review) == {
        "ocp4-control-plane": [(f'aws_instance.master["{i}"]', "update") for i in range(CONTROL_PLANE_REPLICAS)],
        "ocp4-compute": sorted([(f'aws_instance.worker["{i}"]', "update") for i in range(workers)]
                               + [(f'aws_instance.worker["{DAY2["compute"]["replicas"] - 1}"]', "create")])}
    by_address = {c.address: c for t in day2.second_review.tiers for c in t.changes}
    assert all(by_address[f'aws_instance.master["{i}"]'].attributes == ["instance_type", "vpc_security_group_ids"]
               for i in range(CONTROL_PLANE_REPLICAS))
    assert all(by_address[f'aws_instance.worker["{i}"]'].attributes == ["vpc_security_group_ids"]
               for i in range(workers))


@internal
def test_the_reviewed_plans_applied_one_worker_more_and_kept_every_machine(day2, flows):
    before, after = day2.instances
    assert day2.applied == ["ocp4-control-plane", "ocp4-compute"]
    assert set(after) - set(before) == {f"{INFRA}-worker-{DAY2['compute']['replicas'] - 1}"}
    assert all(after[name][0] == before[name][0] for name in before), "an instance was replaced"


@internal
def test_the_masters_changed_type_one_at_a_time(day2):
    before, after = day2.instances
    assert {after[name][1] for name in MASTERS} == {NEW_MASTER_TYPE}
    assert {before[name][1] for name in MASTERS} != {NEW_MASTER_TYPE}
    assert len(day2.samples) > 20, "the watcher saw too little to judge"
    down = [{name for name, state in sample.items() if name in MASTERS and state != "running"}
            for sample in day2.samples]
    assert max(len(names) for names in down) == 1, [names for names in down if len(names) > 1][:3]
    assert set().union(*down) == MASTERS, "a master was never seen stopped: the watcher missed it"
    # In order: once the next master went down, the previous one never did again.
    first = {name: min(i for i, names in enumerate(down) if name in names) for name in MASTERS}
    last = {name: max(i for i, names in enumerate(down) if name in names) for name in MASTERS}
    order = sorted(MASTERS, key=first.get)
    assert all(last[a] < first[b] for a, b in zip(order, order[1:])), (first, last)
