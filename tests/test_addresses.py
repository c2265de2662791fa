"""Upgrading ocp-upi-tf never churns a cluster: no resource address disappears unannounced.

`tests/addresses.json` is the inventory of every resource address each test
variant has ever synthesized, tier by tier (for_each instances with their keys).
It only grows. An address the code no longer produces must be carried to its new
one by a `moved` block in that stack, or be named in CHANGELOG.md as removed;
otherwise Terraform would destroy the resource on the next apply. New addresses
are added with `OCP_UPDATE_ADDRESSES=1 python3 -m pipenv run pytest tests/test_addresses.py`.
"""
from __future__ import annotations

import json
import os
from typing import Any

from conftest import ROOT

INVENTORY = ROOT / "tests" / "addresses.json"
CHANGELOG = ROOT / "CHANGELOG.md"


def addresses(stack: dict[str, Any]) -> list[str]:
    """The addresses a stack's resources get, as `terraform state list` shows them."""
    found = []
    for kind, resources in stack.get("resource", {}).items():
        for name, body in resources.items():
            keys = body.get("for_each")
            found += [f'{kind}.{name}["{key}"]' for key in keys] if isinstance(keys, dict) else [f"{kind}.{name}"]
    return sorted(found)


def moved_from(stack: dict[str, Any]) -> set[str]:
    return {block["from"] for block in stack.get("moved", [])}


def test_no_address_disappears_without_a_moved_block_or_a_changelog_entry(synthesized):
    now = {name: {tier.value: addresses(synthesized.stack(name, tier.value)) for tier in config.tiers}
           for name, config in sorted(synthesized.configs.items())}
    committed = json.loads(INVENTORY.read_text()) if INVENTORY.exists() else {}
    if os.environ.get("OCP_UPDATE_ADDRESSES") == "1":
        merged = {name: {tier: sorted(set(committed.get(name, {}).get(tier, [])) | set(found))
                         for tier, found in tiers.items()} for name, tiers in now.items()}
        INVENTORY.write_text(json.dumps({**committed, **merged}, indent=1, sort_keys=True) + "\n")
        committed = json.loads(INVENTORY.read_text())
    changelog = CHANGELOG.read_text()
    unannounced = [f"{name}/{tier}: {address}"
                   for name, tiers in committed.items() for tier, known in tiers.items()
                   if name in now for address in sorted(set(known) - set(now[name][tier]))
                   if address not in moved_from(synthesized.stack(name, tier)) and f"`{address}`" not in changelog]
    assert not unannounced, ("addresses gone without a moved block or a CHANGELOG entry (Terraform would "
                             f"destroy them): {unannounced}")
    unrecorded = [f"{name}/{tier}: {address}" for name, tiers in now.items() for tier, found in tiers.items()
                  for address in found if address not in committed.get(name, {}).get(tier, [])]
    assert not unrecorded, f"new addresses: add them with OCP_UPDATE_ADDRESSES=1 ({unrecorded[:5]} ...)"
    assert set(now) <= set(committed), "a new test variant: add its addresses with OCP_UPDATE_ADDRESSES=1"


def test_the_version_is_the_changelogs_latest():
    import main
    from modules import __version__

    first = next(line for line in CHANGELOG.read_text().splitlines() if line.startswith("## "))
    assert first.split()[1] == __version__
    assert main.parser().parse_known_args(["synth"])[0].command == "synth"
