"""`plan-review` on the emulator after full applies, unchanged and changed (see e2e/review.py).

Expectations come from the change itself and the project's policy tables, never
from the report under test.
"""
from __future__ import annotations

import fnmatch
import json
import re

import pytest

from conftest import markdown_tables
from e2e.conftest import SELECTED
from e2e.review import CHANGED, TARGET
from modules.operations import deploy, plan_review
from modules.configuration import IamProfile
from modules.constructs.iam import POLICIES

pytestmark = pytest.mark.e2e

STACKS = ("state", "network", "cluster-infra", "security", "bootstrap", "control-plane", "compute")
# The external flow's cluster also has the credentials tier (e2e/conftest.py); the reliability job's has not.
EXTERNAL_STACKS = STACKS + ("credentials", "ingress")
ZERO = {"add": 0, "change": 0, "replace": 0, "destroy": 0}


def tier(result, name: str):
    [found] = [t for t in result.tiers if t.stack == f"ocp4-{name}"]
    return found


@pytest.mark.skipif("external" not in SELECTED, reason="the external flow is not selected (E2E_FLOWS)")
def test_an_unchanged_cluster_reviews_clean(unchanged_review, flows):
    result = unchanged_review
    assert [t.stack for t in result.tiers] == deploy.stack_order(flows["external"].outdir, "ocp4")
    assert {t.stack for t in result.tiers} == {f"ocp4-{name}" for name in EXTERNAL_STACKS}
    assert plan_review.exit_status(result, fail_on_attention=True) == 0
    assert result.attention == []
    assert all(t.counts == ZERO and not t.outputs for t in result.tiers)
    assert all(t.reported == {"add": 0, "change": 0, "import": 0, "remove": 0, "operation": "plan"}
               for t in result.tiers)
    assert result.static is not None, "checkov runs in the review (scripts/install --dev installs it)"
    assert "## Attention\n\nNone." in result.markdown()


def test_one_more_worker_is_exactly_one_instance_to_add_in_compute(changed_review):
    compute = tier(changed_review.result, "compute")
    assert compute.counts == {**ZERO, "add": CHANGED["compute"]["replicas"] - 3}
    [worker] = compute.changes
    assert (worker.type, worker.action) == ("aws_instance", "create")


def test_a_new_boot_image_and_ca_touch_no_running_machine(changed_review):
    """rhcos_ami and ignition_ca change (e2e/review.py): no existing instance is updated or replaced;
    the control plane does not change at all, and the only instance in the plan is the new worker."""
    instances = [(t.stack, c.address, c.action) for t in changed_review.result.tiers for c in t.changes
                 if c.type == "aws_instance"]
    assert instances == [("ocp4-compute", 'aws_instance.worker["3"]', "create")]
    assert not tier(changed_review.result, "control-plane").changed


def test_replacing_master_1_replaces_it_alone_on_the_new_image_and_moves_its_registrations(changed_review):
    (before, after), (registered_before, registered_after) = changed_review.masters, changed_review.targets
    assert set(before) == set(after) == {f"ocp4-x7k2q-master-{i}" for i in range(3)}
    moved = {name for name in before if before[name][0] != after[name][0]}
    assert moved == {"ocp4-x7k2q-master-1"}
    old_image, new_image = before["ocp4-x7k2q-master-1"][2], after["ocp4-x7k2q-master-1"][2]
    assert new_image != old_image  # the changed synthesis' boot image
    assert {after[n][2] for n in after if n != "ocp4-x7k2q-master-1"} == {old_image}
    old_ip, new_ip = before["ocp4-x7k2q-master-1"][1], after["ocp4-x7k2q-master-1"][1]
    api_groups = {"ocp4-x7k2q-aext", "ocp4-x7k2q-aint", "ocp4-x7k2q-sint"}
    assert api_groups <= set(registered_after)
    for group in api_groups:
        assert new_ip in registered_after[group] and old_ip not in registered_after[group], group
        assert registered_after[group] - {new_ip} == registered_before[group] - {old_ip}, group
    assert changed_review.replaced[0] == 'aws_instance.master["1"]'
    assert sorted(changed_review.replaced[1:]) == sorted(
        f'aws_lb_target_group_attachment.master["1/{key}"]' for key in ("external_api", "internal_api",
                                                                        "internal_service"))


def test_ssh_from_anywhere_to_the_bootstrap_machine_is_under_attention(changed_review):
    items = tier(changed_review.result, "bootstrap").attention
    assert any(re.search(r"opened to 0\.0\.0\.0/0 \(tcp 22-22\)", item) for item in items), items
    assert set(items) <= set(changed_review.result.attention)


def test_the_documented_iam_profile_shows_the_added_actions(changed_review):
    added = {}
    for item in tier(changed_review.result, "security").attention:
        if "IAM grants added" in item:
            role = re.search(r"aws_iam_role_policy\.(\w+)`", item).group(1)
            added[role] = set(re.findall(r"`([^`]+) on \*`", item))
    assert set(added) == {"master", "worker"}, added
    for role, grants in added.items():
        least = {a for s in POLICIES[(IamProfile.LEAST_PRIVILEGE, role)] for a in s.actions}
        documented = {a for s in POLICIES[(IamProfile.DOCUMENTED, role)] for a in s.actions}
        # IAM wildcards: an action the least-privilege profile already matches is no new grant.
        expected = {a for a in documented if not any(fnmatch.fnmatchcase(a.lower(), old.lower()) for old in least)}
        assert expected and grants == expected, role


def test_a_new_vpc_cidr_shows_the_replacements(changed_review):
    network = tier(changed_review.result, "network")
    subnets = [c for c in network.changes if c.type == "aws_subnet"]
    assert len(subnets) == 6 and all(c.action == "replace" and "cidr_block" in c.attributes for c in subnets)
    [vpc] = [c for c in network.changes if c.type == "aws_vpc"]
    assert vpc.action == "replace" and "cidr_block" in vpc.attributes
    assert f"`{vpc.address}`: aws_vpc will be replaced" in network.attention
    nat = [c for c in network.changes if c.type == "aws_nat_gateway"]
    assert len(nat) == 3 and all(f"`{c.address}`: aws_nat_gateway will be replaced" in network.attention for c in nat)


def test_changes_outside_the_target_tier_are_flagged_and_nothing_else_moves(changed_review):
    result = changed_review.result
    moved = {t.stack for t in result.tiers if t.changed}
    assert moved == {"ocp4-network", "ocp4-security", "ocp4-bootstrap", "ocp4-compute"}
    for stack in moved - {f"ocp4-{TARGET.value}"}:
        assert f"`{stack}` changes, but the change targets the {TARGET.value} tier" in result.attention
    assert (changed_review.exit, changed_review.failing_exit) == (2, 1)


def test_the_report_renders_and_its_json_matches_terraforms_own_counts(changed_review):
    text = changed_review.report.read_text()
    summary_table = next(t for t in markdown_tables(text) if t[0][0] == "tier")
    written = json.loads(changed_review.report.with_suffix(".json").read_text())
    assert {row[0].strip("`"): {k: int(v) for k, v in zip(summary_table[0][1:], row[1:])}
            for row in summary_table[1:]} == written["tiers"]
    assert set(written["tiers"]) == {f"ocp4-{name}" for name in STACKS}
    for stack, counts in written["tiers"].items():
        reported = written["terraform_counts"][stack]
        # Terraform counts a replacement as one to add and one to remove.
        assert (counts["add"] + counts["replace"], counts["change"], counts["destroy"] + counts["replace"]) == \
            (reported["add"], reported["change"], reported["remove"]), stack
        assert len(written["changes"][stack]) == sum(counts.values())
