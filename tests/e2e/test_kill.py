"""`main.py apply` killed with SIGKILL in the middle of the machine tiers, and the recovery (e2e/kill.py)."""
from __future__ import annotations

import re
import signal

import pytest

from modules.configuration.machines import CONTROL_PLANE_REPLICAS

pytestmark = pytest.mark.e2e

LOCK_ID = re.compile(r"lock ([0-9a-f-]{36}), taken by apply of \S+@\S+, (\d+h)?\d+m\d\ds ago")


def test_the_kill_came_while_the_machine_tiers_created_instances(killed):
    assert killed.killed.returncode == -signal.SIGKILL
    assert killed.machines_at_kill >= 1, "the apply was killed before it created any machine"


def test_the_next_apply_names_each_locked_tier_with_its_lock_and_the_way_out(killed):
    stopped = killed.stopped_apply
    assert stopped.returncode == 1, stopped.stderr[-3000:]
    assert "apply stopped: the state is locked" in stopped.stderr
    locked = LOCK_ID.findall(stopped.stderr)
    assert locked, stopped.stderr[-3000:]
    assert "python main.py unlock " in stopped.stderr and "terraform force-unlock -force" in stopped.stderr
    assert "Error acquiring the state lock" not in stopped.stderr  # Terraform's raw error is replaced


def test_unlock_breaks_the_dead_runs_locks_and_adopts_its_machines(killed):
    unlock = killed.unlock
    assert unlock.returncode == 0, unlock.stdout + unlock.stderr[-3000:]
    assert ": broken" in unlock.stdout
    adopted = re.findall(r"adopted as (\S+)", unlock.stdout)
    assert any(a.startswith("aws_instance.") for a in adopted), unlock.stdout  # the killed run's machines
    assert "no place for it" not in unlock.stdout
    assert killed.recovered_apply.returncode == 0, killed.recovered_apply.stderr[-3000:] + unlock.stdout
    assert killed.locks_left == []


def test_after_the_recovery_each_machine_exists_once_and_the_state_holds_it_once(killed):
    infra = killed.infra_id
    expected = {f"{infra}-bootstrap"} | {f"{infra}-master-{i}" for i in range(CONTROL_PLANE_REPLICAS)} | {
        f"{infra}-worker-{i}" for i in range(len(killed.in_state["compute"]))}
    assert len(killed.in_state["compute"]) == 3  # the default cluster's compute.replicas
    assert set(killed.machines) == expected
    assert all(len(ids) == 1 for ids in killed.machines.values()), killed.machines  # no duplicate
    in_state = [machine for keys in killed.in_state.values() for machine in keys.values()]
    assert sorted(in_state) == sorted(ids[0] for ids in killed.machines.values())


def test_the_apply_after_the_recovery_has_nothing_to_do(killed, changed_review):
    assert changed_review.completed == []

