"""Reviewing and applying only what changed, on the brownfield cluster after day 2 (e2e/skipping.py).

Expected values come from what e2e/skipping.py and e2e/day2.py change and from the tier graph,
never from the record under test."""
from __future__ import annotations

import pytest

from e2e.conftest import BROWNFIELD, SELECTED
from e2e.skipping import WORKER_RULE
from modules.configuration import Tier
from modules.configuration.topology import stack_name
from modules.operations import plan_review

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(BROWNFIELD not in SELECTED, reason="the brownfield flow is not selected")]

COMPUTE, SECURITY = stack_name("ocp4", Tier.COMPUTE), stack_name("ocp4", Tier.SECURITY)


@pytest.fixture(scope="module")
def flow(flows):
    return flows[BROWNFIELD]


@pytest.fixture(scope="module")
def skipping(flow):
    return flow.extras["skipping"]


def stacks(flow) -> list[str]:
    return [stack_name("ocp4", tier) for tier in flow.config.tiers]


def test_every_apply_left_a_record_beside_each_state_in_the_bucket_with_its_encryption(flow, skipping):
    # The state tier keeps its own state (and record) in its stack folder. The brownfield cluster hands
    # the state a KMS key (e2e/brownfield.py): its records are encrypted with it, as its states are.
    key = flow.config.state.kms_key_arn
    assert key is not None
    assert skipping.kept == {f"{flow.config.state_key(tier)}.applied.json": ("aws:kms", key)
                             for tier in flow.config.tiers if tier is not Tier.STATE}


def test_the_review_after_a_stop_plans_only_the_tiers_not_applied_yet(flow):
    day2 = flow.extras["day2"]
    applied_before_the_stop = {stack_name("ocp4", tier) for tier in (Tier.STATE, Tier.NETWORK, Tier.SECURITY)}
    assert applied_before_the_stop <= set(day2.second_review.skipped)
    assert {COMPUTE, stack_name("ocp4", Tier.CONTROL_PLANE)} <= {t.stack for t in day2.second_review.tiers}


def test_an_unchanged_cluster_plans_no_tier_and_exits_0(flow, skipping):
    result = skipping.unchanged
    assert result.tiers == [] and list(result.skipped) == stacks(flow)
    assert all(why.startswith("unchanged since it was applied") for why in result.skipped.values())
    assert plan_review.exit_status(result, fail_on_attention=True) == 0


def test_a_rule_deleted_by_hand_is_seen_by_all_and_not_by_the_skipping_review(flow, skipping):
    deleted = f'["{WORKER_RULE}"]`: deleted outside Terraform'
    assert skipping.blind.tiers == [] and not any(deleted in item for item in skipping.blind.attention)
    full = skipping.full
    assert [t.stack for t in full.tiers] == stacks(flow) and full.skipped == {}
    assert any(deleted in item for item in full.attention), full.attention
    [security] = [t for t in full.tiers if t.stack == SECURITY]
    assert [(c.action, c.address) for c in security.changes] == [
        ("create", f'aws_vpc_security_group_ingress_rule.cluster["{WORKER_RULE}"]')]


def test_one_more_worker_plans_and_applies_only_compute(flow, skipping):
    result, replicas = skipping.one_more, flow.extras["day2"].instances[1]
    assert [t.stack for t in result.tiers] == [COMPUTE]
    assert result.decisions[COMPUTE].why == "its code changed since it was applied"
    assert set(result.skipped) == set(stacks(flow)) - {COMPUTE}
    workers = sum(1 for name in replicas if "-worker-" in name)
    assert [(c.action, c.address) for c in result.tiers[0].changes] == [
        ("create", f'aws_instance.worker["{workers}"]')]
    assert skipping.applied == [COMPUTE]
    assert skipping.workers == (workers, workers + 1)


def test_apply_reviewed_refuses_when_a_tier_it_skipped_was_applied_since(skipping):
    assert skipping.refused is not None, "applied a review whose skipped tier had moved"
    message = str(skipping.refused)
    assert f"the review is stale: the state of {SECURITY} (skipped at serial" in message, message
