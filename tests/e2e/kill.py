"""`main.py apply` killed with SIGKILL while the machine tiers create instances, then the recovery.

As a CI runner cancels a job: the whole process group dies at once, terraform
with it, so the state locks stay and the instances created since the apply began
are in AWS but in no state (Terraform persists state every 20 s at the earliest),
with what they need: the bootstrap machine's role, profile, group and rules. Then,
as a user would: `main.py apply <tiers>` (stopped, naming the locks), `main.py unlock`
(breaks them and writes import blocks for what the killed run left), `main.py
apply <tiers>` (imports it and creates the rest). The reliability job's next apply
(e2e/review.py) is the third, and must find nothing to do.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modules.configuration import ClusterConfig, Tier
from modules.configuration.topology import MACHINE_POOLS

ROOT = Path(__file__).resolve().parents[2]
MACHINE_TIERS = ("bootstrap", "control-plane", "compute")  # one level: the killed run applies them side by side
# What the runs here apply: the tiers the reliability job has not (it applied state, network and
# security). Named, so that no run plans those three again for nothing (nine plans, a minute of CPU).
REMAINING = ("cluster-infra", *MACHINE_TIERS)


@dataclass
class KillRecord:
    infra_id: str = ""
    machines_at_kill: int = 0
    killed: subprocess.CompletedProcess | None = None
    stopped_apply: subprocess.CompletedProcess | None = None  # the apply after the kill
    unlock: subprocess.CompletedProcess | None = None
    recovered_apply: subprocess.CompletedProcess | None = None
    machines: dict[str, list[str]] = field(default_factory=dict)  # Name tag -> live instance IDs, at the end
    in_state: dict[str, dict[str, str]] = field(default_factory=dict)  # tier -> key -> instance ID
    locks_left: list[str] = field(default_factory=list)
    unanswered_faults: int = 0  # on the job's emulator, right after the kill


def held(state: dict[str, Any], pool: str) -> dict[str, str]:
    """The machines a tier's state holds: key -> instance ID."""
    return {str(instance["index_key"]): instance["attributes"]["id"] for resource in state.get("resources", [])
            if resource["type"] == "aws_instance" and resource["name"] == pool
            for instance in resource["instances"]}


def machines(emulator: Any, infra_id: str) -> dict[str, list[str]]:
    """The tiers' live machines by Name (the cluster's own are tagged `shared`)."""
    found: dict[str, list[str]] = {}
    for reservation in emulator.client("ec2").describe_instances(Filters=[
            {"Name": f"tag:kubernetes.io/cluster/{infra_id}", "Values": ["shared"]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]:
        for instance in reservation["Instances"]:
            name = next(t["Value"] for t in instance["Tags"] if t["Key"] == "Name")
            found.setdefault(name, []).append(instance["InstanceId"])
    return found


def settled_unanswered(emulator: Any, quiet: float = 3.0, longest: float = 30.0) -> int:
    """The faults left unanswered, once the emulator has served what the killed processes had sent:
    the emulator serves one request at a time, so a request sent just before the kill may be served
    (and faulted) after it. Counted when the figures have not moved for `quiet` seconds (a clean run
    counted one fault too few, read at once)."""
    def unanswered() -> tuple[int, int]:
        counts = emulator.faults().values()
        return sum(c.get("injected", 0) for c in counts), sum(c.get("unanswered", 0) for c in counts)

    last, since, deadline = unanswered(), time.monotonic(), time.monotonic() + longest
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.5)
        now = unanswered()
        if now != last:
            last, since = now, time.monotonic()
    return last[1]


def kill_and_recover(config: ClusterConfig, outdir: Path, emulator: Any) -> KillRecord:
    record, infra = KillRecord(config.infra_id), config.infra_id
    settings = outdir.parent / "cluster.json"
    settings.write_text(json.dumps(config.to_document()))
    env = {**os.environ, **emulator.env, "OCP_CLUSTER_CONFIG": str(settings), "CDKTF_OUTDIR": str(outdir)}

    def main(*args: str, **popen: Any) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "main.py", *args], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)

    def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess:
        out, err = process.communicate(timeout=1200)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    # The reliability job applied state, network and security; this run applies cluster-infra, then
    # the machine tiers, and dies when the first machine appears.
    killed = main("apply", *REMAINING, start_new_session=True)
    deadline = time.monotonic() + 600
    while killed.poll() is None and time.monotonic() < deadline and not machines(emulator, infra):
        time.sleep(0.3)
    try:
        os.killpg(killed.pid, signal.SIGKILL)  # the process group: main.py and its terraform processes
    except ProcessLookupError:  # the apply ended first: test_kill.py says so
        pass
    record.killed = finish(killed)
    # A faulted call whose retry the kill cut off is never answered; the SIGINT of the reliability
    # job's first case may have left one too. Every other fault must be survived (test_strict_emulator.py).
    record.unanswered_faults = settled_unanswered(emulator)
    record.machines_at_kill = sum(len(ids) for ids in machines(emulator, infra).values())
    record.stopped_apply = finish(main("apply", *REMAINING))
    record.unlock = finish(main("unlock", *MACHINE_TIERS))
    record.recovered_apply = finish(main("apply", *REMAINING))
    record.machines = machines(emulator, infra)
    s3 = emulator.client("s3")
    for tier in (Tier(t) for t in MACHINE_TIERS):
        try:
            state = json.loads(s3.get_object(Bucket=config.resolved_state_bucket,
                                             Key=config.state_key(tier))["Body"].read())
        except s3.exceptions.NoSuchKey:  # the recovery failed before the tier was applied: test_kill.py shows why
            state = {}
        record.in_state[tier.value] = held(state, MACHINE_POOLS[tier])
    record.locks_left = [o["Key"] for o in s3.list_objects_v2(Bucket=config.resolved_state_bucket).get(
        "Contents", []) if o["Key"].endswith(".tflock")]
    return record
