"""A cluster's synthesized tiers in dependency order, destroying them, and replacing one machine.

The order comes from the tier graph (configuration/topology.py): `state` first,
then the network, and so on; which stacks are there, from cdktf's `manifest.json`.
Stacks at the same depth do not depend on each other (cluster-infra and security;
the three machine tiers) and run at the same time; destroy walks the levels
backwards. Each step is plain `terraform init` + `terraform destroy|apply` in the
stack's folder, with the project's CLI configuration, so what runs here is what a
user would type by hand. Applying is operations/applying.py: plan, check, apply.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

from ..configuration.topology import (
    CLEANED_TIERS,
    DEPENDENCIES,
    IMPORTS_FILE,
    MACHINE_POOLS,
    Tier,
    UnknownTier,
    stack_name,
    stacks_of,
    tier_named,
)
from . import terraform


class DeployError(RuntimeError):
    pass


def synthesized_stacks(outdir: Path) -> set[str]:
    """The stacks the synthesized app in `outdir` holds (its manifest)."""
    manifest_path = outdir / "manifest.json"
    try:
        return set(json.loads(manifest_path.read_text())["stacks"])
    except (OSError, ValueError, KeyError, TypeError):
        raise DeployError(f"{manifest_path}: no synthesized app here; run `scripts/cdktf synth` first") from None


def stack_order(outdir: Path, cluster_name: str) -> list[str]:
    """The cluster's stacks (by exact name: `prod` never takes `prod-eu`'s), in tier order, which puts
    each after every stack it depends on."""
    ours = stacks_of(cluster_name, synthesized_stacks(outdir))
    if not ours:
        raise DeployError(f"{outdir / 'manifest.json'}: no stacks of cluster {cluster_name!r}")
    return list(ours)


def levels(cluster_name: str, stacks: Sequence[str]) -> list[list[str]]:
    """`stacks` of the cluster grouped by depth in the tier graph: a level depends only on earlier ones."""
    tiers = stacks_of(cluster_name, stacks)
    depth: dict[Tier, int] = {}

    def depth_of(tier: Tier) -> int:
        if tier not in depth:
            depth[tier] = 1 + max((depth_of(d) for d in DEPENDENCIES[tier]), default=-1)
        return depth[tier]

    grouped: dict[int, list[str]] = {}
    for name in stacks:
        grouped.setdefault(depth_of(tiers[name]), []).append(name)
    return [grouped[d] for d in sorted(grouped)]


def _run_levels(outdir: Path, groups: list[list[str]], command: list[str], verb: str,
                log: Callable[[str], None], env: dict[str, str] | None) -> None:
    for group in groups:
        # init one at a time: the shared plugin cache is not safe for concurrent writers.
        for stack in group:
            log(f"==> {stack}: {verb}")
            terraform.init(stack_dir(outdir, stack), env=env)
        with ThreadPoolExecutor(max_workers=len(group)) as pool:
            runs = {stack: pool.submit(terraform.run, command, stack_dir(outdir, stack), env=env, timeout=1800)
                    for stack in group}
            errors = [(stack, run.exception()) for stack, run in runs.items() if run.exception() is not None]
        if errors:
            raise errors[0][1]  # a lock a killed run left: main.py names it (operations/locks.py)


def select(order: list[str], cluster_name: str, tiers: Sequence[str] | None) -> list[str]:
    """The stacks of `order` for the named tiers (all of them when none is named)."""
    if not tiers:
        return order
    try:
        wanted = {stack_name(cluster_name, tier_named(name)) for name in tiers}
    except UnknownTier as error:
        raise DeployError(str(error)) from None
    missing = sorted(wanted - set(order))
    if missing:
        raise DeployError(f"not synthesized: {', '.join(missing)}; the output holds {', '.join(order)}")
    return [name for name in order if name in wanted]


def stack_dir(outdir: Path, stack: str) -> Path:
    return outdir / "stacks" / stack


def destroy(outdir: Path, cluster_name: str, tiers: Sequence[str], *,
            log: Callable[[str], None] = print, env: dict[str, str] | None = None,
            before: Callable[[], None] | None = None) -> list[str]:
    """destroy the selected stacks, dependents first; tiers must be named (no implicit "all").

    `before` runs once, ahead of the first level holding a tier of CLEANED_TIERS (there
    operations/teardown.py removes what the running cluster created)."""
    if not tiers:
        raise DeployError("name the tiers to destroy, e.g. `destroy bootstrap`; the state tier is protected")
    chosen = select(stack_order(outdir, cluster_name), cluster_name, tiers)
    pending = [stack for stack in chosen if (stack_dir(outdir, stack) / IMPORTS_FILE).is_file()]
    if pending:  # adopted by `main.py unlock`, in no state yet: the destroy would leave them running
        raise DeployError(f"{', '.join(pending)} hold import blocks for what a killed run left "
                          f"({IMPORTS_FILE}): apply them first (`main.py apply`), so that destroy removes "
                          "those objects too, or delete the file to leave them to you")
    command = ["destroy", "-input=false", "-no-color", "-auto-approve"]
    cleaned = {stack_name(cluster_name, tier) for tier in CLEANED_TIERS}
    for group in reversed(levels(cluster_name, chosen)):
        if before is not None and cleaned & set(group):
            before()
            before = None
        _run_levels(outdir, [group], command, "destroy", log, env)
    return list(reversed(chosen))


def replace(outdir: Path, cluster_name: str, tier: Tier, machine: str, *,
            log: Callable[[str], None] = print, env: dict[str, str] | None = None) -> list[str]:
    """Replace one machine, and its target-group registrations, and nothing else; returns the addresses.

    For rolling a machine onto a new boot image or Ignition pointer (which running machines
    ignore), or recovering a failed one: `terraform apply -replace` of the instance, targeted at
    it and its registrations, so no other pending change of the tier comes along."""
    pool = MACHINE_POOLS.get(tier)
    if pool is None:
        raise DeployError(f"{tier.value} has no machines; replace works in {', '.join(t.value for t in MACHINE_POOLS)}")
    stack = select(stack_order(outdir, cluster_name), cluster_name, [tier.value])[0]
    folder = stack_dir(outdir, stack)
    terraform.init(folder, env=env)
    held = terraform.run(["state", "list"], folder, env=env).stdout.split()
    instance = f'aws_instance.{pool}["{machine}"]'
    if instance not in held:
        machines = sorted(a.split('"')[1] for a in held if a.startswith(f"aws_instance.{pool}["))
        raise DeployError(f"{stack} has no machine {machine!r}; its machines are {', '.join(machines) or 'none'}")
    registrations = [a for a in held if a.startswith(f'aws_lb_target_group_attachment.{pool}["{machine}/')]
    log(f"==> {stack}: replace {instance} ({len(registrations)} registration(s))")
    terraform.run(["apply", "-input=false", "-no-color", "-auto-approve", f"-replace={instance}",
                   *(f"-target={address}" for address in [instance, *registrations])], folder, env=env, timeout=1800)
    return [instance, *registrations]


def plan_is_empty(outdir: Path, stack: str, *, env: dict[str, str] | None = None) -> tuple[bool, str]:
    """`terraform plan -detailed-exitcode`: (no changes?, plan text)."""
    result = terraform.run(["plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock=false"],
                               stack_dir(outdir, stack), env=env, check=False)
    if result.returncode not in (0, 2):
        raise terraform.TerraformError(["plan"], stack_dir(outdir, stack), result)
    return result.returncode == 0, result.stdout
