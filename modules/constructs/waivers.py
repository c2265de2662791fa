"""Checkov findings a construct accepts, written next to the resource they are about.

checkov's Terraform JSON scanner ignores in-file skip comments, so a waiver is
written into the synthesized JSON instead, in the resource's `//` block (a
comment to Terraform) under `WAIVERS_KEY`: {check ID: reason}. The static checks
(operations/static_checks.py) read them back from there, so no tool has to
import a tier to learn what it waives, and a waiver cannot outlive its resource.
"""
from __future__ import annotations

from ..configuration.topology import WAIVERS_KEY
from .cdk import TerraformResource


def waive(resource: TerraformResource, check_id: str, reason: str) -> None:
    """Accept checkov's `check_id` on `resource`, for `reason` (say why it does not apply or what it would cost)."""
    resource.add_override(f"//.{WAIVERS_KEY}.{check_id}", reason)
