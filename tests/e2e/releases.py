"""Moving an applied cluster to another OpenShift release (configuration/releases.py), planned.

The external flow's cluster is applied for the default release (4.22). Synthesized for 4.23 (the
next: the master role gains a grant) and for 4.15 (the last release with the Terraform-era names:
back across the Cluster API change), its network and security tiers are planned against the applied
state and reviewed. The brownfield flow applies a move (4.15 to 4.22) on its day 2 (e2e/day2.py).
"""
from __future__ import annotations

from typing import Any

from modules.configuration import Tier
from modules.configuration.topology import stack_name
from modules.operations import deploy, plan_review

RELEASE_MOVES = ("4.23", "4.15")
MOVED_TIERS = (Tier.NETWORK, Tier.SECURITY)  # what a move changes before the machines


def plan_release_moves(record: Any, emulator: Any) -> dict[str, plan_review.Review]:
    name = record.config.cluster_name
    reviews = {}
    for version, outdir in record.extras["release_syntheses"].items():
        plans = [plan_review.plan_tier(deploy.stack_dir(outdir, stack_name(name, tier)), emulator.env)
                 for tier in MOVED_TIERS]
        reviews[version] = plan_review.review(plans)
    return reviews
