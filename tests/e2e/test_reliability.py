"""Interrupted and concurrent applies, and restoring a corrupted state, on the emulator."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

AZS = 3  # the default cluster


def test_an_apply_interrupted_with_sigint_converges_when_run_again(reliability):
    interrupted = reliability.interrupted
    assert reliability.created_before_interrupt == 1, "the interrupt came before the VPC was created"
    assert reliability.subnets_at_interrupt == 0, "the interrupt came after the VPC's wait"
    assert interrupted.returncode != 0, "the apply finished before the interrupt: nothing was tested"
    assert "Interrupt received" in interrupted.stdout + interrupted.stderr
    # No duplicates from the second run: one VPC, two subnets, a NAT gateway and an EIP per AZ.
    assert reliability.network_after_rerun == {"vpcs": 1, "subnets": 2 * AZS, "nat_gateways": AZS, "eips": AZS}
    empty, plan = reliability.plan_after_rerun
    assert empty, plan[-3000:]


def test_a_second_apply_of_the_same_tier_fails_on_the_lock_and_state_stays_consistent(reliability):
    assert reliability.lock_seen, "the first apply ended before the second started"
    second = reliability.second_apply
    assert second.returncode != 0 and "Error acquiring the state lock" in second.stderr, second.stderr[-2000:]
    assert reliability.first_apply.returncode == 0, reliability.first_apply.stderr[-2000:]
    assert reliability.groups_after_race == 3  # master, worker and the default release's lb: created once
    empty, plan = reliability.plan_after_race
    assert empty, plan[-3000:]
    # One state object per applied tier, and no lock object left behind.
    assert reliability.state_objects == ["ocp-upi-tf/ocp4/network/terraform.tfstate",
                                         "ocp-upi-tf/ocp4/security/terraform.tfstate"]


def test_a_corrupted_state_write_is_restored_from_the_previous_version(reliability):
    corrupted = reliability.corrupted_plan
    assert corrupted.returncode != 0, "terraform read a corrupted state without complaint"
    assert "state" in corrupted.stderr.lower()
    empty, plan = reliability.restored_plan
    assert empty, plan[-3000:]
