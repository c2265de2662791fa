"""What `main.py apply` lets a plan do to a running cluster, and how it rolls the masters.

- A plan that replaces or deletes anything of a precious type (plan_review.PRECIOUS)
  is refused before its tier is applied, unless `--allow-replace` names that
  address or its whole tier. The one deletion it allows unasked is the one
  shrinking `compute.replicas` asks for: the highest-numbered workers go.
- A control-plane plan that stops more than one master (an in-place update of
  its type: plan_review.STOPS_MACHINE) is applied one master at a time, each a
  targeted plan that must hold exactly that master's change, and the next starts
  only once the previous is running again and healthy in every target group it
  is registered in.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..configuration.topology import MACHINE_POOLS, Tier, UnknownTier, tier_named
from . import plan_review, terraform
from .cluster_resources import aws_errors
from .deploy import DeployError

# Long enough for a master to boot and its API server to pass the health checks on AWS.
READY_TIMEOUT = 1800.0
POLL_SECONDS = 2.0


class Refused(DeployError):
    """Nothing (more) was applied: the plan or the review does what the command may not do."""

    def __init__(self, message: str, applied: Sequence[str] = ()):
        self.applied = list(applied)
        done = f" (applied before this: {', '.join(self.applied)})" if self.applied else " (nothing was applied)"
        super().__init__(message + done)


@dataclass(frozen=True)
class PlannedChange:
    """One resource's action in a plan, from the `planned_change` lines of `plan -json`."""

    address: str
    type: str
    action: str  # create, update, replace, delete (plan_review.action_of's names)

    @staticmethod
    def from_stream(stdout: str) -> list["PlannedChange"]:
        changes = []
        for message in plan_review.messages(stdout):
            if message.get("type") != "planned_change":
                continue
            body, resource = message["change"], message["change"]["resource"]
            if resource.get("resource_type") is None or resource.get("addr", "").startswith("data."):
                continue
            # "import": an `import` block (recovery.py) adopting an object as it is: a change to apply.
            action = {"create": "create", "update": "update", "replace": "replace", "delete": "delete",
                      "remove": "delete", "import": "import"}.get(body["action"])
            if action is not None:
                changes.append(PlannedChange(resource["addr"], resource["resource_type"], action))
        return changes


@dataclass(frozen=True)
class Allowance:
    """`--allow-replace`: whole tiers, or single addresses (in whichever tier holds them)."""

    tiers: frozenset[Tier] = frozenset()
    addresses: frozenset[str] = frozenset()

    @staticmethod
    def parse(names: Iterable[str]) -> "Allowance":
        tiers, addresses = set(), set()
        for name in names:
            try:
                tiers.add(tier_named(name))
            except UnknownTier:
                if "." not in name:
                    raise DeployError(f"--allow-replace {name!r}: neither a tier nor a resource address "
                                      "(e.g. network, or 'aws_instance.master[\"1\"]')") from None
                addresses.add(name)
        return Allowance(frozenset(tiers), frozenset(addresses))

    def allows(self, tier: Tier, address: str) -> bool:
        return tier in self.tiers or address in self.addresses


def shrinks_compute(tier: Tier, change: PlannedChange) -> bool:
    """A worker deleted (not replaced): fewer `compute.replicas`, whose keys are 0..replicas-1."""
    return (tier is Tier.COMPUTE and change.action == "delete"
            and change.address.startswith(f"aws_instance.{MACHINE_POOLS[Tier.COMPUTE]}["))


def refusals(tier: Tier, changes: Iterable[PlannedChange], allowance: Allowance) -> list[PlannedChange]:
    """The changes of `tier`'s plan that apply may not make without `--allow-replace`."""
    return [c for c in changes if c.type in plan_review.PRECIOUS and c.action in ("replace", "delete")
            and not shrinks_compute(tier, c) and not allowance.allows(tier, c.address)]


def describe(changes: Iterable[PlannedChange]) -> str:
    return "; ".join(f"{c.address} ({'replaced' if c.action == 'replace' else 'destroyed'})" for c in changes)


def stopping_masters(changes: Iterable[plan_review.Change]) -> list[str]:
    """The keys of the masters an in-place update would stop, in order."""
    prefix = f"aws_instance.{MACHINE_POOLS[Tier.CONTROL_PLANE]}["
    keys = [c.address[len(prefix):-1].strip('"') for c in changes
            if c.address.startswith(prefix) and c.stops_machine]
    return sorted(keys, key=lambda key: (len(key), key))


def state_of(folder: Path, env: dict[str, str] | None) -> dict[str, Any]:
    text = terraform.run(["state", "pull"], folder, env=env).stdout
    return json.loads(text) if text.strip() else {}


def machine_and_registrations(state: dict[str, Any], pool: str, key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The instance `pool[key]`'s attributes and its target-group attachments', from a state."""
    machine: dict[str, Any] = {}
    registrations = []
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed" or resource.get("name") != pool:
            continue
        for instance in resource.get("instances", []):
            index = str(instance.get("index_key"))
            if resource["type"] == "aws_instance" and index == key:
                machine = instance["attributes"]
            elif resource["type"] == "aws_lb_target_group_attachment" and index.startswith(f"{key}/"):
                registrations.append(instance["attributes"])
    return machine, registrations


def wait_ready(aws: Any, machine: dict[str, Any], registrations: list[dict[str, Any]], *,
               timeout: float = READY_TIMEOUT, sleep: Callable[[float], None] = time.sleep) -> None:
    """Until the instance runs and is healthy in each target group it is registered in."""
    ec2, elb = aws("ec2"), aws("elbv2")
    deadline, waiting = time.monotonic() + timeout, "the instance to run"
    while time.monotonic() < deadline:
        reservations = ec2.describe_instances(InstanceIds=[machine["id"]])["Reservations"]
        state = reservations[0]["Instances"][0]["State"]["Name"] if reservations else "missing"
        if state == "running":
            unhealthy = []
            for registration in registrations:
                target = {"Id": registration["target_id"]}
                if registration.get("port") is not None:  # unset: the target group's port
                    target["Port"] = int(registration["port"])
                health = elb.describe_target_health(TargetGroupArn=registration["target_group_arn"],
                                                    Targets=[target])["TargetHealthDescriptions"]
                if not health or health[0]["TargetHealth"]["State"] != "healthy":
                    unhealthy.append(registration["target_group_arn"].split(":")[-1])
            if not unhealthy:
                return
            waiting = f"healthy targets in {', '.join(unhealthy)}"
        else:
            waiting = f"the instance to run (it is {state})"
        sleep(POLL_SECONDS)
    raise DeployError(f"{machine['id']}: still waiting for {waiting} after {timeout:.0f} s; "
                      "the other masters were not touched")


def roll_masters(folder: Path, keys: Sequence[str], reference: Sequence[plan_review.Change], aws: Any, *,
                 env: dict[str, str] | None, log: Callable[[str], None]) -> None:
    """Apply each master's change of `reference` (a plan of the control-plane tier) on its own."""
    if aws is None:
        raise DeployError("rolling the masters needs AWS access to see each one running again")
    pool = MACHINE_POOLS[Tier.CONTROL_PLANE]
    expected = {c.address: c for c in reference}
    for key in keys:
        address, planfile = f'aws_instance.{pool}["{key}"]', f"roll-{key}.tfplan"
        planned = plan_review.run_plan(folder, env, planfile=planfile, args=[f"-target={address}"])
        changes = PlannedChange.from_stream(planned.stdout)
        wanted = expected[address]
        if [(c.address, c.action) for c in changes] != [(address, wanted.action)]:
            found = ", ".join(f"{c.action} {c.address}" for c in changes) or "nothing"
            raise DeployError(f"{folder.name}: the plan for {address} alone holds {found}, not the planned "
                              f"{wanted.action} of {wanted.describe()}; stopped before changing it")
        log(f"==> {folder.name}: {address}: {wanted.describe()} (one master at a time)")
        terraform.run(["apply", "-input=false", "-no-color", planfile], folder, env=env, timeout=1800)
        machine, registrations = machine_and_registrations(state_of(folder, env), pool, key)
        with aws_errors():
            wait_ready(aws, machine, registrations)
