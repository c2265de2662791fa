"""Day 2 on the emulator, folded into clusters the e2e flows already applied.

On the reliability job's cluster, after its changed review and `replace` (e2e/review.py):
1. `apply --reviewed` of that review: stale (the replace moved control-plane's state
   on), refused before anything is applied;
2. `apply` of the changed synthesis: its new `vpc_cidr` would replace the VPC and its
   subnets; refused before the network tier is applied.

On the brownfield flow's cluster, right after its apply: a second synthesis, DAY2, with a
new boot image and cluster CA, one more worker, a new control-plane instance type, and the
move from OpenShift 4.15 to the default release. Its plan review stands for that flow's
"every plan is empty" check (every tier but the three DAY2 changes must plan empty); then
`apply --reviewed` of it, which stops after the security tier (the machine tiers read the new
group), and of the review it asks for, while a watcher records every master's state.
"""
from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import FAKE_PEM, data_url
from e2e.review import converged, masters_and_targets
from modules.configuration import ClusterConfig, Tier
from modules.configuration.releases import DEFAULT_RELEASE
from modules.configuration.topology import stack_name
from modules.operations import applying, drift, plan_review
from modules.operations.applied_record import Records
from modules.operations.cluster_resources import Aws
from modules.operations.guard import Refused

NEW_MASTER_TYPE = "m5.2xlarge"  # the default is m5.xlarge
# The flow applied the cluster for 4.15; day 2 moves it to the default release (configuration/releases.py):
# the worker group's Name tag, the -lb group and its egress rule, and that group on every machine.
DAY2 = {"compute": {"replicas": 4}, "control_plane": {"instance_type": NEW_MASTER_TYPE},
        "ignition_ca": data_url(FAKE_PEM.replace("FIXTURE", "DAY2-FIXTURE")), "openshift_version": DEFAULT_RELEASE}
CHANGED_TIERS = (Tier.SECURITY, Tier.CONTROL_PLANE, Tier.COMPUTE)


@dataclass
class Refusals:
    stale: Refused | None = None
    unchanged_by_stale: tuple[Any, Any] = (None, None)  # (masters, targets) before and after
    refused: Refused | None = None
    vpcs: tuple[list[Any], list[Any]] = ([], [])  # (id, cidr) before and after the refused apply


@dataclass
class Day2Record:
    review: plan_review.Review | None = None
    stopped: Refused | None = None  # `apply --reviewed` of the first review, stopped after the security tier
    second_review: plan_review.Review | None = None  # the review it asked for
    instances: tuple[dict[str, Any], dict[str, Any]] = ({}, {})  # name -> (id, type), before and after
    samples: list[dict[str, str]] = field(default_factory=list)  # the watcher's: master name -> state
    applied: list[str] = field(default_factory=list)


def day2_document(config: ClusterConfig, rhcos_ami: str) -> dict[str, Any]:
    document = config.to_document()
    merged = {**document, "rhcos_ami": rhcos_ami}
    for key, value in DAY2.items():
        merged[key] = {**document.get(key, {}), **value} if isinstance(value, dict) else value
    return merged


def instances(emulator: Any, infra_id: str) -> dict[str, tuple[str, str]]:
    found = {}
    for reservation in emulator.client("ec2").describe_instances()["Reservations"]:
        for machine in reservation["Instances"]:
            name = next((t["Value"] for t in machine.get("Tags", []) if t["Key"] == "Name"), "")
            if name.startswith(infra_id) and machine["State"]["Name"] != "terminated":
                found[name] = (machine["InstanceId"], machine["InstanceType"])
    return found


def vpcs(emulator: Any) -> list[tuple[str, str]]:
    return sorted((v["VpcId"], v["CidrBlock"]) for v in emulator.client("ec2").describe_vpcs()["Vpcs"]
                  if not v.get("IsDefault"))


class MasterWatcher(threading.Thread):
    """Samples every master's instance state twice a second (the provider waits 10 s at least for
    a stopped instance, so no stop goes unseen)."""

    def __init__(self, emulator: Any, infra_id: str):
        super().__init__(daemon=True)
        self.ec2, self.prefix, self.stopped = emulator.client("ec2"), f"{infra_id}-master-", threading.Event()
        self.samples: list[dict[str, str]] = []

    def run(self) -> None:
        while not self.stopped.is_set():
            sample = {}
            for reservation in self.ec2.describe_instances()["Reservations"]:
                for machine in reservation["Instances"]:
                    name = next((t["Value"] for t in machine.get("Tags", []) if t["Key"] == "Name"), "")
                    if name.startswith(self.prefix) and machine["State"]["Name"] != "terminated":
                        sample[name] = machine["State"]["Name"]
            self.samples.append(sample)
            self.stopped.wait(0.5)


def refuse_the_changed_review(config: ClusterConfig, changed_outdir: Path, emulator: Any) -> Refusals:
    record, env, name, quiet = Refusals(), emulator.env, config.cluster_name, (lambda message: None)
    aws = Aws(config, env)
    before = masters_and_targets(emulator, config.infra_id)
    try:
        applying.apply_reviewed(changed_outdir, name, changed_outdir.parent / "review", aws=aws, log=quiet, env=env)
    except Refused as refused:
        record.stale = refused
    record.unchanged_by_stale = (before, masters_and_targets(emulator, config.infra_id))
    before_vpcs = vpcs(emulator)
    try:
        applying.apply(changed_outdir, name, aws=aws, log=quiet, env=env)
    except Refused as refused:
        record.refused = refused
    record.vpcs = (before_vpcs, vpcs(emulator))
    return record


def run_day2(outdir: Path, config: ClusterConfig, day2_outdir: Path, emulator: Any) -> tuple[Day2Record, dict]:
    """DAY2 on the cluster applied from `outdir`; also returns the verdicts of "every plan is empty".

    Reviewed, as a team would: the first review's machine plans were made before the security tier
    had the -lb group to give them, so `apply --reviewed` applies the security tier and stops there
    (what the machine tiers read moved); the review it asks for, applied, moves the machines."""
    record, env, name, quiet = Day2Record(), emulator.env, config.cluster_name, (lambda message: None)
    state = Path("stacks") / stack_name(name, Tier.STATE) / "terraform.tfstate"
    shutil.copy2(outdir / state, day2_outdir / state)  # the state tier keeps its state in its folder
    aws, reviews = Aws(config, env), day2_outdir.parent / "review"
    records = Records(day2_outdir, aws)  # the applies below record every tier (e2e/skipping.py goes on)

    def review(kept: Records | None = None) -> plan_review.Review:
        result = plan_review.review_cluster(day2_outdir, name, env=env, static=False, workers=4, records=kept,
                                            outside=drift.outside_terraform(config, day2_outdir, env))
        plan_review.write_report(result, reviews)
        return result

    record.review = review()  # every tier: it stands for the flow's "every plan is empty" check
    try:
        applying.apply_reviewed(day2_outdir, name, reviews, aws=aws, log=quiet, env=env, records=records)
    except Refused as stopped:
        record.stopped = stopped
    # The tiers applied (or reviewed empty) before the stop are recorded: this review plans the others.
    record.second_review = review(records)
    before = instances(emulator, config.infra_id)
    watcher = MasterWatcher(emulator, config.infra_id)
    watcher.start()
    try:
        record.applied = applying.apply_reviewed(day2_outdir, name, reviews, aws=aws, log=quiet, env=env,
                                                 records=records)
    finally:
        watcher.stopped.set()
        watcher.join()
    record.samples, record.instances = watcher.samples, (before, instances(emulator, config.infra_id))
    # Convergence of the first apply: the tiers DAY2 leaves alone plan empty in its review, and
    # the three it changes hold DAY2's changes and nothing else (test_day2.py).
    changed = {stack_name(name, tier) for tier in CHANGED_TIERS}
    return record, {stack: verdict for stack, verdict in converged(record.review).items() if stack not in changed}
