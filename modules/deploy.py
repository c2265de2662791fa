"""Applying and destroying a cluster's synthesized tiers in dependency order.

The order comes from the dependencies cdktf records in `manifest.json`: `state`
first, then the network, and so on. Stacks at the same depth do not depend on
each other (cluster-infra and security; the three machine tiers) and run at
the same time; destroy walks the levels backwards. Each step is plain
`terraform init` + `terraform apply|destroy` in the stack's folder, with the
project's CLI configuration, so what runs here is what a user would type by hand.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

from . import terraform_cli

Runner = Callable[..., object]


class DeployError(RuntimeError):
    pass


def stack_order(outdir: Path, cluster_name: str) -> list[str]:
    """The cluster's stacks, each after every stack it depends on."""
    manifest_path = outdir / "manifest.json"
    try:
        stacks = json.loads(manifest_path.read_text())["stacks"]
    except (OSError, ValueError, KeyError):
        raise DeployError(f"{manifest_path}: no synthesized app here; run `scripts/cdktf synth` first") from None
    ours = {name: info for name, info in stacks.items() if name.startswith(f"{cluster_name}-")}
    if not ours:
        raise DeployError(f"{manifest_path}: no stacks of cluster {cluster_name!r}")
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...] = ()) -> None:
        if name in order:
            return
        if name in path:
            raise DeployError(f"dependency cycle: {' -> '.join(path + (name,))}")
        for dependency in ours[name]["dependencies"]:
            visit(dependency, path + (name,))
        order.append(name)

    for name in ours:
        visit(name)
    return order


def levels(outdir: Path, stacks: Sequence[str]) -> list[list[str]]:
    """`stacks` grouped by depth in the dependency graph: a level depends only on earlier ones."""
    dependencies = {name: info["dependencies"]
                    for name, info in json.loads((outdir / "manifest.json").read_text())["stacks"].items()}
    depth: dict[str, int] = {}

    def depth_of(name: str) -> int:
        if name not in depth:
            depth[name] = 1 + max((depth_of(d) for d in dependencies[name]), default=-1)
        return depth[name]

    grouped: dict[int, list[str]] = {}
    for name in stacks:
        grouped.setdefault(depth_of(name), []).append(name)
    return [grouped[d] for d in sorted(grouped)]


def _run_levels(outdir: Path, groups: list[list[str]], command: list[str], verb: str,
                log: Callable[[str], None], env: dict[str, str] | None) -> None:
    for group in groups:
        # init one at a time: the shared plugin cache is not safe for concurrent writers.
        for stack in group:
            log(f"==> {stack}: {verb}")
            terraform_cli.run(["init", "-input=false", "-no-color"], stack_dir(outdir, stack), env=env)
        with ThreadPoolExecutor(max_workers=len(group)) as pool:
            runs = [pool.submit(terraform_cli.run, command, stack_dir(outdir, stack), env=env, timeout=1800)
                    for stack in group]
            errors = [run.exception() for run in runs if run.exception() is not None]
        if errors:
            raise errors[0]


def select(order: list[str], cluster_name: str, tiers: Sequence[str] | None) -> list[str]:
    if not tiers:
        return order
    wanted = [f"{cluster_name}-{tier}" for tier in tiers]
    unknown = [w for w in wanted if w not in order]
    if unknown:
        raise DeployError(f"unknown tier(s): {', '.join(unknown)}; the cluster has {', '.join(order)}")
    return [name for name in order if name in wanted]


def stack_dir(outdir: Path, stack: str) -> Path:
    return outdir / "stacks" / stack


def apply(outdir: Path, cluster_name: str, tiers: Sequence[str] | None = None, *,
          log: Callable[[str], None] = print, env: dict[str, str] | None = None) -> list[str]:
    """init + apply each selected stack in dependency order; returns the stacks applied."""
    chosen = select(stack_order(outdir, cluster_name), cluster_name, tiers)
    _run_levels(outdir, levels(outdir, chosen), ["apply", "-input=false", "-no-color", "-auto-approve"],
                "apply", log, env)
    return chosen


def destroy(outdir: Path, cluster_name: str, tiers: Sequence[str], *,
            log: Callable[[str], None] = print, env: dict[str, str] | None = None) -> list[str]:
    """destroy the selected stacks, dependents first; tiers must be named (no implicit "all")."""
    if not tiers:
        raise DeployError("name the tiers to destroy, e.g. `destroy bootstrap`; the state tier is protected")
    chosen = select(stack_order(outdir, cluster_name), cluster_name, tiers)
    _run_levels(outdir, list(reversed(levels(outdir, chosen))),
                ["destroy", "-input=false", "-no-color", "-auto-approve"], "destroy", log, env)
    return list(reversed(chosen))


def plan_is_empty(outdir: Path, stack: str, *, env: dict[str, str] | None = None) -> tuple[bool, str]:
    """`terraform plan -detailed-exitcode`: (no changes?, plan text)."""
    result = terraform_cli.run(["plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock=false"],
                               stack_dir(outdir, stack), env=env, check=False)
    if result.returncode not in (0, 2):
        raise terraform_cli.TerraformError(["plan"], stack_dir(outdir, stack), result)
    return result.returncode == 0, result.stdout
