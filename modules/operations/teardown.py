"""`destroy` of a cluster that ran: what the cluster created goes before the tiers that hold it.

Before the cluster-infra, security or network tier is destroyed (`CLEANED_TIERS`),
`destroy()` reads every tier's state, finds what the cluster created that no state
holds (cluster_resources.py) and deletes it, after the machine tiers are gone and
before those tiers. Data (buckets, volumes, snapshots) is deleted only when asked
(`--delete-data`); without the flag, data found up front stops the destroy before
anything is removed. `dry_run()` lists both parts, Terraform's and the cluster's,
and changes nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..configuration.cluster import ClusterConfig
from ..configuration.topology import CLEANED_TIERS, Tier, stack_name
from .cluster_resources import (
    Aws,
    Found,
    Scope,
    aws_errors,
    managed_ids,
    output,
    plan_removal,
    read_answers,
    record_name,
    remove,
)

DATA_FLAG = "--delete-data"

class ClusterRemoval:
    """What removing `config`'s tiers needs beyond Terraform: discovery, the data check, removal."""

    def __init__(self, config: ClusterConfig, outdir: Path, env: dict[str, str] | None = None):
        self.config, self.outdir, self.aws = config, outdir, Aws(config, env)

    def states(self) -> dict[Tier, dict[str, Any]]:
        """Each tier's Terraform state, read as Terraform keeps it (no lock: reading only)."""
        from botocore.exceptions import ClientError

        states: dict[Tier, dict[str, Any]] = {}
        local = self.outdir / "stacks" / stack_name(self.config.cluster_name, Tier.STATE) / "terraform.tfstate"
        if local.is_file():
            states[Tier.STATE] = json.loads(local.read_text())
        s3 = self.aws("s3")
        for tier in Tier:
            if tier is Tier.STATE:
                continue
            try:
                body = s3.get_object(Bucket=self.config.resolved_state_bucket, Key=self.config.state_key(tier))["Body"]
                states[tier] = json.loads(body.read())
            except ClientError:  # never applied, or the bucket is gone
                continue
        return states

    def scope(self, states: dict[Tier, dict[str, Any]]) -> Scope:
        zones = [output(states.get(Tier.CLUSTER_INFRA), "private_zone_id")]
        zones.append(self.config.public_zone_id or self._public_zone())
        return Scope(self.config.infra_id, self.config.cluster_domain, output(states.get(Tier.NETWORK), "vpc_id"),
                     tuple(zone for zone in zones if zone))

    def _public_zone(self) -> str | None:
        answer = self.aws("route53").list_hosted_zones_by_name(DNSName=self.config.base_domain)
        return next((zone["Id"].rsplit("/", 1)[-1] for zone in answer.get("HostedZones", [])
                     if record_name(zone["Name"]) == self.config.base_domain
                     and not zone.get("Config", {}).get("PrivateZone")), None)

    def discover(self) -> list[Found]:
        states = self.states()
        scope = self.scope(states)
        return plan_removal(read_answers(self.aws, scope), scope, managed_ids(states.values()))


class DataWouldBeLost(RuntimeError):
    """The destroy would delete data nobody asked to delete; nothing was destroyed."""

    def __init__(self, data: Sequence[Found]):
        self.data = list(data)
        names = "\n".join(f"  - {item}" for item in data)
        super().__init__(f"the cluster holds data that destroying its tiers would delete:\n{names}\n"
                         f"Nothing was destroyed. Back it up, then run the same command with {DATA_FLAG} "
                         "to delete it too.")


@dataclass
class DryRun:
    terraform: dict[str, list[str]]  # stack -> the addresses its destroy deletes
    cluster: list[Found]  # what the cluster created, in deletion order

    def report(self) -> str:
        lines = ["Terraform would destroy (dependents first):"]
        for stack, addresses in self.terraform.items():
            lines += [f"  {stack}: {len(addresses)} resource(s)"] + [f"    {a}" for a in addresses]
        lines.append("The cluster created, and destroy would delete first:" if self.cluster else
                     "The cluster created nothing outside Terraform's state that destroy would delete.")
        lines += [f"  {item}{'  [data: needs ' + DATA_FLAG + ']' if item.data else ''}" for item in self.cluster]
        return "\n".join(lines)


def dry_run(outdir: Path, config: ClusterConfig, tiers: Sequence[str], *,
            env: dict[str, str] | None = None) -> DryRun:
    """What `destroy` of `tiers` would delete, Terraform's part and the cluster's; changes nothing."""
    from . import deploy, terraform

    stacks = deploy.select(deploy.stack_order(outdir, config.cluster_name), config.cluster_name, tiers)
    listed: dict[str, list[str]] = {}
    for stack in reversed(stacks):
        folder = deploy.stack_dir(outdir, stack)
        shown = terraform.run(["state", "list"], folder, env=env, check=False)
        if shown.returncode != 0:  # not initialized here yet (a fresh checkout)
            terraform.init(folder, env=env)
            shown = terraform.run(["state", "list"], folder, env=env)
        # Data sources are read, not destroyed.
        listed[stack] = [address for address in shown.stdout.split() if not address.startswith("data.")]
    if not needs_cleanup(Tier(name) for name in tiers):
        return DryRun(listed, [])
    with aws_errors():
        return DryRun(listed, ClusterRemoval(config, outdir, env).discover())


def destroy(outdir: Path, config: ClusterConfig, tiers: Sequence[str], *, delete_data: bool = False,
            log: Callable[[str], None] = print, env: dict[str, str] | None = None) -> list[str]:
    """`deploy.destroy` of `tiers`, with what the cluster created removed before the tiers that hold it.

    Data (buckets, volumes, snapshots) found up front stops it before anything is destroyed,
    unless `delete_data`."""
    from . import deploy

    if not needs_cleanup(Tier(name) for name in tiers):
        return deploy.destroy(outdir, config.cluster_name, tiers, log=log, env=env)
    with aws_errors():
        removal = ClusterRemoval(config, outdir, env)
        data = [item for item in removal.discover() if item.data]
    if data and not delete_data:
        raise DataWouldBeLost(data)

    def cleanup() -> None:
        with aws_errors():
            found = removal.discover()  # again: the machine tiers are gone by now
            late = [item for item in found if item.data and not delete_data]
            if late:
                raise DataWouldBeLost(late)
            log(f"==> removing {len(found)} resource(s) the cluster created" if found else
                "==> the cluster created nothing that its tiers' destroy needs removed")
            remove(removal.aws, found, log=log)

    return deploy.destroy(outdir, config.cluster_name, tiers, log=log, env=env, before=cleanup)


def needs_cleanup(tiers: Iterable[Tier]) -> bool:
    return any(tier in CLEANED_TIERS for tier in tiers)
