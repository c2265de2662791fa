"""Edge zones on the emulator, folded into the external flow (a Local Zone and a Wavelength Zone).

The flow's cluster is applied with both zones (their groups opted into first, as the docs
have the user do). Then the same cluster with a third zone, a Local Zone whose group the
account has not opted into, is synthesized and its network tier planned against the applied
state: the plan-time check stops it, naming the command; after that command, the plan adds
that zone's resources and nothing else. The emulator knows the zones (emulator/edge_zones.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modules.configuration import Tier
from modules.configuration.topology import stack_name
from modules.operations import deploy, plan_review, terraform

LOCAL, WAVELENGTH = "us-east-1-nyc-1a", "us-east-1-wl1-bos-wlz-1"
EDGE_ZONES = [{"name": LOCAL}, {"name": WAVELENGTH}]
GROUPS = ("us-east-1-nyc-1", "us-east-1-wl1")  # opted into before the flow applies
ADDED, ADDED_GROUP = "us-east-1-bos-1a", "us-east-1-bos-1"  # not opted into until the refused plan


@dataclass
class EdgeRecord:
    refused: str  # what the network tier's plan said before the added zone's group was opted into
    added: plan_review.Review  # the plan after the opt-in


def opt_in(emulator: Any, groups: tuple[str, ...]) -> None:
    """What the docs have the user run first: `aws ec2 modify-availability-zone-group ... opted-in`."""
    for group in groups:
        emulator.client("ec2").modify_availability_zone_group(GroupName=group, OptInStatus="opted-in")


def plan_added_zone(record: Any, emulator: Any) -> EdgeRecord:
    """Both plans without a refresh: what the added zone changes against the applied state (the
    data sources, where the checks are, are read all the same; drift is the unchanged review's)."""
    outdir = record.extras["edge_added_synthesis"]
    folder = deploy.stack_dir(outdir, stack_name(record.config.cluster_name, Tier.NETWORK))
    try:
        plan_review.plan_tier(folder, emulator.env, args=["-refresh=false"])
        refused = ""
    except terraform.TerraformError as error:
        refused = str(error)
    opt_in(emulator, (ADDED_GROUP,))
    return EdgeRecord(refused, plan_review.review([plan_review.plan_tier(folder, emulator.env,
                                                                         args=["-refresh=false"])]))
