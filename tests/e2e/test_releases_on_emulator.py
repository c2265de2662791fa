"""Moving the external flow's applied cluster (4.22) to another release, planned against its state
(e2e/releases.py); the brownfield flow applies a move on its day 2 (test_day2.py).

Expected values come from the releases' facts (configuration/releases.py's sources), not from the plans.
"""
from __future__ import annotations

import pytest

from e2e.conftest import SELECTED
from e2e.edge import LOCAL, WAVELENGTH
from modules.configuration import Tier
from modules.operations.guard import Allowance, PlannedChange, refusals

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif("external" not in SELECTED, reason="the external flow is not selected")]

AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
# The edge zones' subnets are named like the AZs' for the release (e2e/edge.py): renamed with them.
SUBNETS = [*(f'aws_subnet.{kind}["{az}"]' for kind in ("public", "private") for az in AZS),
           f'aws_subnet.edge_public["{LOCAL}"]', f'aws_subnet.edge_public["{WAVELENGTH}"]',
           f'aws_subnet.edge_private["{WAVELENGTH}"]']


@pytest.fixture(scope="module")
def moves(flows):
    return flows["external"].extras["release_moves"]


def changes(review) -> dict[str, list[tuple[str, str]]]:
    return {t.stack: sorted((c.address, c.action) for c in t.changes) for t in review.tiers if t.changed}


def test_to_the_next_release_the_master_role_gains_set_security_groups_in_place(moves):
    review = moves["4.23"]
    assert changes(review) == {"ocp4-security": [("aws_iam_role_policy.master", "update")]}
    assert review.attention == [
        "`aws_iam_role_policy.master`: IAM grants added: `elasticloadbalancing:SetSecurityGroups on *`"]


def test_back_across_the_cluster_api_change_tags_move_in_place_and_the_guard_stops_the_lb_group_going(moves):
    review = moves["4.15"]
    assert changes(review) == {
        "ocp4-network": sorted((address, "update") for address in SUBNETS),
        "ocp4-security": [("aws_security_group.lb", "delete"), ("aws_security_group.worker", "update"),
                          ('aws_vpc_security_group_egress_rule.cluster["LbEgressAll"]', "delete")]}
    by_address = {c.address: c for t in review.tiers for c in t.changes}
    assert all(by_address[address].attributes == ["tags"] for address in SUBNETS)  # renamed in place: they stay
    assert by_address["aws_security_group.worker"].attributes == ["tags"]
    [security] = [t for t in review.tiers if t.stack == "ocp4-security"]
    refused = refusals(Tier.SECURITY, [PlannedChange(c.address, c.type, c.action) for c in security.changes],
                       Allowance())
    assert [c.address for c in refused] == ["aws_security_group.lb"]  # on every machine: not without asking
