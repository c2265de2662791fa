"""One end-to-end flow: apply every tier, check it converged, destroy it, as a user would.

The flow uses the same orchestration users run (`operations.applying` and `deploy`, behind
`python main.py apply|destroy`) and records what the emulator holds at each
step, for the tests to judge.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from e2e.inventory import inventory
from e2e.teardown import Planted, exists, plant
from modules.configuration import ClusterConfig, Tier
from modules.configuration.topology import DEPENDENCIES, stack_name
from modules.operations import applying, deploy, teardown, terraform

MACHINE_TIERS = ("bootstrap", "control-plane", "compute")
OTHER_TIERS = ("network", "cluster-infra", "security", "credentials", "ingress")  # the last two: when configured


# The tiers whose plans the bootstrap tier's destroy could change: the ones it reads (their groups,
# target groups and subnets held its rules, registrations and machine) and the control plane, whose
# masters share those target groups. No other tier reads the bootstrap tier or is read by it, and a
# plan reads only its own state and the states it reads.
TOUCHED_BY_BOOTSTRAP = (*DEPENDENCIES[Tier.BOOTSTRAP], Tier.CONTROL_PLANE)


def tiers_of(record: "FlowRecord") -> list[str]:
    """The flow's tiers but state: the credentials and ingress tiers only when its cluster has them."""
    return [t for t in MACHINE_TIERS + OTHER_TIERS if Tier(t) in record.config.tiers]


@dataclass
class FlowRecord:
    config: ClusterConfig
    outdir: Path
    timings: dict[str, float] = field(default_factory=dict)
    after_apply: dict[str, Any] = field(default_factory=dict)
    plans_after_apply: dict[str, tuple[bool, str]] = field(default_factory=dict)
    lock_objects_seen: set[str] = field(default_factory=set)
    plans_after_bootstrap_destroy: dict[str, tuple[bool, str]] = field(default_factory=dict)
    after_bootstrap_destroy: dict[str, Any] = field(default_factory=dict)
    after_destroy: dict[str, Any] = field(default_factory=dict)
    state_destroy: Any = None
    extras: dict[str, Any] = field(default_factory=dict)  # what `after_apply` found
    # Teardown of a cluster that ran (e2e/teardown.py): what was planted, and what destroy did with it.
    planted: Planted | None = None
    before_teardown: dict[str, Any] = field(default_factory=dict)
    dry_run: teardown.DryRun | None = None
    after_dry_run: dict[str, Any] = field(default_factory=dict)
    refused: teardown.DataWouldBeLost | None = None
    after_refusal: dict[str, Any] = field(default_factory=dict)
    remaining: dict[str, bool] = field(default_factory=dict)  # planted label -> still there after destroy
    state_keys: tuple[list[str], list[str]] = ([], [])  # state bucket keys before planting, after destroy


def state_keys(emulator: Any, config: ClusterConfig) -> list[str]:
    return sorted(o["Key"] for o in emulator.client("s3").list_objects_v2(
        Bucket=config.resolved_state_bucket).get("Contents", []))


def teardown_of_a_cluster_that_ran(record: FlowRecord, emulator: Any, tiers: list[str]) -> None:
    """Plant what a running cluster creates, then: a dry run, a destroy refused for the data, and
    the destroy with --delete-data."""
    config, outdir, env, quiet = record.config, record.outdir, emulator.env, (lambda message: None)
    keys_before = state_keys(emulator, config)
    record.planted = plant(emulator, config, record.after_apply)
    record.before_teardown = inventory(emulator)
    record.dry_run = teardown.dry_run(outdir, config, tiers, env=env)
    record.after_dry_run = inventory(emulator)
    try:
        teardown.destroy(outdir, config, tiers, log=quiet, env=env)
    except teardown.DataWouldBeLost as refused:
        record.refused = refused
    record.after_refusal = inventory(emulator)
    teardown.destroy(outdir, config, tiers, delete_data=True, log=quiet, env=env)
    everything = {**record.planted.cluster, **record.planted.decoys}
    record.remaining = {label: exists(emulator, kind, ident, record.planted.zone_role)
                        for label, (kind, ident) in everything.items()}
    record.state_keys = (keys_before, state_keys(emulator, config))


class LockWatcher(threading.Thread):
    """Polls the state bucket for Terraform's S3 lock objects while an apply runs."""

    def __init__(self, emulator: Any, bucket: str):
        super().__init__(daemon=True)
        self.s3, self.bucket, self.seen, self.stopped = emulator.client("s3"), bucket, set(), threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                listing = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
                self.seen |= {o["Key"] for o in listing if o["Key"].endswith(".tflock")}
            except Exception:  # the bucket does not exist until the state tier is applied
                pass
            self.stopped.wait(0.5)  # an apply holds its lock for 10 s or more


def plans(record: FlowRecord, stacks: list[str], env: dict[str, str]) -> dict[str, tuple[bool, str]]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = {stack: pool.submit(deploy.plan_is_empty, record.outdir, stack, env=env) for stack in stacks}
    return {stack: future.result() for stack, future in results.items()}


def run_flow(record: FlowRecord, emulator: Any, after_apply: Callable[[FlowRecord, Any], None] | None = None,
             after_destroy: Callable[[FlowRecord, Any], None] | None = None) -> FlowRecord:
    config, outdir, env = record.config, record.outdir, emulator.env
    name = config.cluster_name
    stacks = deploy.stack_order(outdir, name)
    quiet = lambda message: None  # noqa: E731

    started = time.monotonic()
    watcher = LockWatcher(emulator, config.resolved_state_bucket)
    watcher.start()
    try:
        applying.apply(outdir, name, log=quiet, env=env)
    finally:
        watcher.stopped.set()
        watcher.join()
    record.lock_objects_seen = watcher.seen
    record.timings["apply"] = time.monotonic() - started
    record.after_apply = inventory(emulator)

    started = time.monotonic()
    if after_apply is None:
        record.plans_after_apply = plans(record, stacks, env)
    else:  # it plans every stack its own way, and fills plans_after_apply
        after_apply(record, emulator)
    record.timings["plan"] = time.monotonic() - started

    started = time.monotonic()
    deploy.destroy(outdir, name, ["bootstrap"], log=quiet, env=env)
    record.after_bootstrap_destroy = inventory(emulator)
    if not config.bootstrap.ignition_is_local:  # one flow proves it: the one day 2 does not run in
        record.plans_after_bootstrap_destroy = plans(record, [stack_name(name, tier) for tier in TOUCHED_BY_BOOTSTRAP],
                                                     env)
    teardown_of_a_cluster_that_ran(record, emulator, [t for t in tiers_of(record) if t != "bootstrap"])
    record.timings["destroy"] = time.monotonic() - started
    record.after_destroy = inventory(emulator)
    record.state_destroy = terraform.run(["destroy", "-input=false", "-no-color", "-auto-approve"],
                                         deploy.stack_dir(outdir, stack_name(name, Tier.STATE)), env=env, check=False)
    if after_destroy is not None:
        after_destroy(record, emulator)
    return record
