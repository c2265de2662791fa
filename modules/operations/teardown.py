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
from ..configuration.topology import CLEANED_TIERS, DEPENDENCIES, Tier, stack_name
from . import deploy, terraform
from .cluster_resources import (
    Aws,
    AwsError,
    Found,
    Scope,
    aws_errors,
    managed_ids,
    output,
    plan_removal,
    read_answers,
    record_name,
)
from .removal import remove

DATA_FLAG = "--delete-data"

class ClusterRemoval:
    """What removing `config`'s tiers needs beyond Terraform: discovery, the data check, removal."""

    def __init__(self, config: ClusterConfig, outdir: Path, env: dict[str, str] | None = None):
        self.config, self.outdir, self.aws = config, outdir, Aws(config, env)

    def states(self) -> dict[Tier, dict[str, Any]]:
        """Each tier's Terraform state, read as Terraform keeps it (no lock: reading only). A state
        that is not there was never applied; one that cannot be read stops the cleanup, since
        what it holds must not be taken for the cluster's."""
        from botocore.exceptions import ClientError

        states: dict[Tier, dict[str, Any]] = {}
        local = self.outdir / "stacks" / stack_name(self.config.cluster_name, Tier.STATE) / "terraform.tfstate"
        if local.is_file():
            states[Tier.STATE] = _parse_state(local.read_bytes(), str(local))
        s3, bucket = self.aws("s3"), self.config.resolved_state_bucket
        for tier in Tier:
            if tier is Tier.STATE:
                continue
            key = self.config.state_key(tier)
            try:
                states[tier] = _parse_state(s3.get_object(Bucket=bucket, Key=key)["Body"].read(), f"s3://{bucket}/{key}")
            except ClientError as error:
                # No object: the tier was never applied; no bucket: nor was the state tier.
                if error.response.get("Error", {}).get("Code") not in ("NoSuchKey", "NoSuchBucket", "404"):
                    raise
        return states

    def scope(self, states: dict[Tier, dict[str, Any]]) -> Scope:
        """The cluster's VPC and zones: from the tiers' outputs, or from their resources in state (a
        destroy that failed half-way may have dropped the outputs before the resources)."""
        network, infra = states.get(Tier.NETWORK), states.get(Tier.CLUSTER_INFRA)
        vpc = output(network, "vpc_id") or resource_attribute(network, "aws_vpc", "id")
        zones = [output(infra, "private_zone_id") or resource_attribute(infra, "aws_route53_zone", "zone_id"),
                 self.config.public_zone_id or self._public_zone()]
        handed = (self.config.private_zone_id,) if self.config.private_zone_id else ()
        return Scope(self.config.infra_id, self.config.cluster_domain, vpc, tuple(zone for zone in zones if zone),
                     handed)

    def _public_zone(self) -> str | None:
        answer = self.aws("route53").list_hosted_zones_by_name(DNSName=self.config.base_domain)
        return next((zone["Id"].rsplit("/", 1)[-1] for zone in answer.get("HostedZones", [])
                     if record_name(zone["Name"]) == self.config.base_domain
                     and not zone.get("Config", {}).get("PrivateZone")), None)

    def discover(self, states: dict[Tier, dict[str, Any]] | None = None) -> list[Found]:
        """What the cluster created outside every tier's state (`states`, read now when not given)."""
        states = self.states() if states is None else states
        scope = self.scope(states)
        return plan_removal(read_answers(self.aws, scope), scope, managed_ids(states.values()))


def _parse_state(text: bytes, where: str) -> dict[str, Any]:
    try:
        return json.loads(text)
    except ValueError:
        raise AwsError(f"{where}: not a Terraform state (restore it: docs/operations/recovery.md)") from None


def resource_attribute(state: dict[str, Any] | None, kind: str, name: str) -> str | None:
    """`name` of the first instance of the first `kind` resource in `state`."""
    for resource in (state or {}).get("resources", []):
        if resource.get("type") == kind and resource.get("mode") != "data":
            for instance in resource.get("instances", []):
                value = (instance.get("attributes") or {}).get(name)
                if isinstance(value, str):
                    return value
    return None


class DataWouldBeLost(RuntimeError):
    """The destroy would delete data nobody asked to delete. `late`: it appeared only after the
    machine tiers were destroyed, so those are gone and nothing else is."""

    def __init__(self, data: Sequence[Found], *, late: bool = False):
        self.data, self.late = list(data), late
        names = "\n".join(f"  - {item}" for item in data)
        done = ("The machine tiers were destroyed before this data appeared; nothing else was." if late
                else "Nothing was destroyed.")
        super().__init__(f"the cluster holds data that destroying its tiers would delete:\n{names}\n"
                         f"{done} Back it up, then run the same command with {DATA_FLAG} to delete it too.")


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
    if not needs_cleanup(Tier(name) for name in tiers):
        return deploy.destroy(outdir, config.cluster_name, tiers, log=log, env=env)
    with aws_errors():
        removal = ClusterRemoval(config, outdir, env)
        states = removal.states()
        _dependents_go_too(states, tiers)
        data = [item for item in removal.discover(states) if item.data]
    if data and not delete_data:
        raise DataWouldBeLost(data)

    def cleanup() -> None:
        with aws_errors():
            found = removal.discover()  # again: the machine tiers are gone by now
            late = [item for item in found if item.data and not delete_data]
            if late:
                raise DataWouldBeLost(late, late=True)
            log(f"==> removing {len(found)} resource(s) the cluster created" if found else
                "==> the cluster created nothing that its tiers' destroy needs removed")
            remove(removal.aws, found, log=log)

    return deploy.destroy(outdir, config.cluster_name, tiers, log=log, env=env, before=cleanup)


def _dependents_go_too(states: dict[Tier, dict[str, Any]], tiers: Sequence[str]) -> None:
    """Cleaning removes the cluster's ingress and machines: refuse while a tier that builds on a
    cleaned one still holds resources and is not being destroyed with it."""
    named = {Tier(name) for name in tiers}
    standing = [tier for tier in Tier if tier not in named and states.get(tier, {}).get("resources")
                and any(cleaned in named for cleaned in DEPENDENCIES[tier])]
    if standing:
        raise deploy.DeployError(f"{', '.join(t.value for t in standing)} still hold resources and build on "
                          f"{', '.join(t.value for t in CLEANED_TIERS if t in named)}: destroy them first, "
                          "or name them too")


def needs_cleanup(tiers: Iterable[Tier]) -> bool:
    return any(tier in CLEANED_TIERS for tier in tiers)
