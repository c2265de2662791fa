"""The ingress tier (`*.apps` records) on the external flow's cluster (e2e/ingress.py): none before the
router's load balancer exists; once one is tagged as the cloud provider tags the router's, an alias in
both zones; a second plan that is empty; teardown leaves the records to the tier; and the tier's
destroy removes them and nothing else."""
from __future__ import annotations

import pytest

from e2e.conftest import SELECTED
from e2e.ingress import ROUTER

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif("external" not in SELECTED, reason="the external flow is not selected")]

ZONES = ("example.com.", "ocp4.example.com.")  # the public zone, and the cluster's private one


@pytest.fixture(scope="module")
def ingress(flows):
    return flows["external"].extras["ingress"]


def test_before_the_router_exists_the_tier_plans_empty_and_says_why(flows):
    review = flows["external"].extras["unchanged_review"]
    [tier] = [t for t in review.tiers if t.stack == "ocp4-ingress"]
    assert not tier.changed
    assert any("No *.apps records yet: 0 load balancers of the cluster" in note and "main.py apply ingress" in note
               for note in tier.checks), tier.checks


def test_once_it_exists_both_zones_alias_the_wildcard_to_it(ingress):
    assert ingress.applied == ["ocp4-ingress"]
    assert sorted(ingress.records) == sorted(ZONES)
    for zone in ZONES:
        [record] = ingress.records[zone]
        assert record["Type"] == "A"
        alias = record["AliasTarget"]
        # The router's DNS name and its region's Classic ELB zone (us-east-1), not a copy of any record.
        assert alias["DNSName"].rstrip(".").lower() == ingress.router_dns.lower()
        assert alias["HostedZoneId"] == "Z35SXDOTRQ7X7K" and alias["EvaluateTargetHealth"] is False


def test_the_second_plan_is_empty(ingress):
    empty, text = ingress.second_plan
    assert empty, text[-3000:]


def test_teardown_leaves_the_records_to_terraform(ingress):
    assert any(ROUTER in item for item in ingress.discovered), ingress.discovered  # the router's is the cluster's
    assert not [item for item in ingress.discovered if "apps." in item], ingress.discovered


def test_destroying_the_tier_removes_the_records_and_nothing_else(ingress):
    assert ingress.after_destroy == {}
    assert ingress.others_after == ingress.others_before
    assert ingress.router_after, "the router's load balancer went with the records"
