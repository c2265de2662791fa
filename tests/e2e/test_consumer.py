"""The exported modules, called from hand-written Terraform, against the emulator.

Expected counts come from the cdktf stacks synthesized for the same
configuration (the session's `default` and `one_az` variants), counted from
their literal `for_each` maps, never from the consumer's own plan.
"""
from __future__ import annotations

from collections import Counter

import pytest

from e2e.conftest import SELECTED

pytestmark = pytest.mark.e2e

TIERS = ("state", "network", "cluster-infra", "security", "bootstrap", "control-plane", "compute")


def stack_instances(synthesized, variant: str) -> Counter[str]:
    """Resource instances each tier's stack declares: one, or one per key of its for_each map."""
    counts: Counter[str] = Counter()
    for tier in TIERS:
        for resources in synthesized.stack(variant, tier).get("resource", {}).values():
            for resource in resources.values():
                for_each = resource.get("for_each")
                assert for_each is None or isinstance(for_each, dict), "stacks iterate over literal maps"
                counts[tier.replace("-", "_")] += len(for_each) if for_each is not None else 1
    return counts


@pytest.mark.parametrize("azs, variant", [(1, "one_az"), (3, "default")])
def test_consumer_plan_creates_what_the_stacks_declare(consumer, synthesized, azs, variant):
    expected = stack_instances(synthesized, variant)
    assert consumer.planned[azs] == expected


def test_one_az_more_adds_only_per_az_resources(consumer):
    grown = consumer.planned[3] - consumer.planned[1]
    # Two more AZs: per AZ two subnets, a route table, two associations, EIP, NAT gateway and route.
    assert grown == Counter({"network": 2 * 8})


def test_consumer_applies_and_converges(consumer):
    assert consumer.applied == sum(consumer.planned[3].values())
    assert consumer.second_plan_empty, consumer.second_plan[-3000:]


@pytest.mark.skipif("external" not in SELECTED, reason="the external flow is not selected (E2E_FLOWS)")
def test_remote_state_example_reads_the_network_tier(flows):
    extras = flows["external"].extras
    network = extras["network_outputs"]
    assert extras["remote_state"] == {key: network[key] for key in
                                      ("vpc_id", "private_subnet_ids", "public_subnet_ids")}
    assert extras["remote_state"]["vpc_id"].startswith("vpc-")
    assert len(extras["remote_state"]["private_subnet_ids"]) == 3
