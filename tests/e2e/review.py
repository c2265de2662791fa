"""Plan review on the emulator, with the code `main.py plan-review` runs, after full applies.

- Unchanged: the external flow's cluster, reviewed with the configuration it was
  applied with. Nothing may change; this review is also that flow's "every plan
  is empty after apply" check.
- Changed: the reliability job's cluster, once its failure cases are over and its
  remaining tiers are applied, reviewed with a second synthesis of the same
  cluster (same state keys) holding one change per thing a reviewer must see:
  one more worker, SSH to the bootstrap machine from anywhere, the documented IAM
  profile and a new VPC CIDR. They are planned together, as one plan of seven
  tiers costs about a CPU-minute; each lands in its own tier, and a plan reads the
  other tiers' applied state, never their plans, so no change can hide another.
  That cluster has lived through an interrupted apply, a lock race and a state
  restore, and must still review as exactly these changes. Before the review,
  drift by hand: the masters' SSH rule deleted, and 22 opened to the world on the
  workers' group outside Terraform.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import FAKE_PEM, data_url
from modules.operations import applying, deploy, drift, plan_review
from modules.configuration import ClusterConfig, Tier

CHANGED = {
    # A new boot image (changed_document's `rhcos_ami`: one the region has) and cluster CA change
    # no running machine; worker "3" is made with them.
    "ignition_ca": data_url(FAKE_PEM.replace("FIXTURE", "ROTATED-FIXTURE")),
    "compute": {"replicas": 4},
    "bootstrap": {"ssh_cidr": "0.0.0.0/0"},
    "iam_profile": "documented",
    "vpc_cidr": "10.1.0.0/16",
}
TARGET = Tier.COMPUTE  # the review is told the change is meant for compute, so the other tiers are flagged
NOT_YET_APPLIED = ("cluster-infra", "bootstrap", "control-plane", "compute")  # by the reliability job


@dataclass
class ChangedReview:
    result: plan_review.Review
    exit: int
    failing_exit: int  # with --fail-on attention
    report: Path  # its Markdown; plan-review.json beside it
    # `replace control-plane 1` afterwards, from the changed synthesis (its new rhcos_ami):
    masters: tuple[dict[str, Any], dict[str, Any]] = ({}, {})  # name -> (id, ip, ami), before and after
    targets: tuple[dict[str, Any], dict[str, Any]] = ({}, {})  # target group -> registered IPs
    replaced: list[str] | None = None  # the addresses `replace` applied
    deleted_rule: str = ""  # the managed rule removed by hand before the review
    unmanaged_rule: str = ""  # the rule added by hand
    completed: list[str] | None = None  # the stacks the apply that completed the cluster changed


def masters_and_targets(emulator: Any, infra_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    ec2, elb = emulator.client("ec2"), emulator.client("elbv2")
    masters = {}
    for reservation in ec2.describe_instances()["Reservations"]:
        for machine in reservation["Instances"]:
            name = next((t["Value"] for t in machine.get("Tags", []) if t["Key"] == "Name"), "")
            if name.startswith(f"{infra_id}-master-") and machine["State"]["Name"] == "running":
                masters[name] = (machine["InstanceId"], machine.get("PrivateIpAddress"), machine["ImageId"])
    targets = {group["TargetGroupName"]: {t["Target"]["Id"] for t in elb.describe_target_health(
        TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]}
        for group in elb.describe_target_groups()["TargetGroups"]}
    return masters, targets


def plant_drift(emulator: Any, infra_id: str) -> tuple[str, str]:
    """In the console, as it were: delete the masters' SSH rule, open 22 to the world on the workers'
    group; returns both rule IDs."""
    ec2 = emulator.client("ec2")
    groups = {g["GroupName"]: g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    master, worker = groups[f"{infra_id}-master-sg"], groups[f"{infra_id}-worker-sg"]

    def rules(group: str) -> list[dict[str, Any]]:
        return ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]

    [ssh] = [r for r in rules(master) if not r["IsEgress"] and r.get("FromPort") == 22]
    ec2.revoke_security_group_ingress(GroupId=master, SecurityGroupRuleIds=[ssh["SecurityGroupRuleId"]])
    known = {r["SecurityGroupRuleId"] for r in rules(worker)}
    ec2.authorize_security_group_ingress(GroupId=worker, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    [added] = [r["SecurityGroupRuleId"] for r in rules(worker) if r["SecurityGroupRuleId"] not in known]
    return ssh["SecurityGroupRuleId"], added


def changed_document(document: dict[str, Any], rhcos_ami: str) -> dict[str, Any]:
    """`document` with CHANGED and the new boot image merged in, one level deep (the bootstrap block
    keeps its ignition)."""
    merged = {**document, "rhcos_ami": rhcos_ami}
    for key, value in CHANGED.items():
        merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
    return merged


def review_changed(config: ClusterConfig, outdir: Path, changed_outdir: Path, emulator: Any) -> ChangedReview:
    """Complete the cluster in `outdir`, then review `changed_outdir` against it."""
    name = config.cluster_name
    # After the killed apply's recovery (e2e/kill.py) nothing is left to apply: this is its third run.
    completed = applying.apply(outdir, name, NOT_YET_APPLIED, log=lambda message: None, env=emulator.env)
    # The state tier keeps its state in its stack folder, which a re-synthesis in
    # place keeps; the changed synthesis lives in another folder, so bring it along.
    state = Path("stacks") / f"{name}-state" / "terraform.tfstate"
    shutil.copy2(outdir / state, changed_outdir / state)
    deleted, added = plant_drift(emulator, config.infra_id)
    result = plan_review.review_cluster(changed_outdir, name, target=TARGET, env=emulator.env, static=False,
                                        workers=2, outside=drift.outside_terraform(config, changed_outdir, emulator.env))
    review = ChangedReview(result, plan_review.exit_status(result),
                           plan_review.exit_status(result, fail_on_attention=True),
                           plan_review.write_report(result, changed_outdir.parent / "review"),
                           deleted_rule=deleted, unmanaged_rule=added, completed=completed)
    before = masters_and_targets(emulator, config.infra_id)
    review.replaced = deploy.replace(changed_outdir, name, Tier.CONTROL_PLANE, "1", log=lambda message: None,
                                     env=emulator.env)
    after = masters_and_targets(emulator, config.infra_id)
    review.masters, review.targets = (before[0], after[0]), (before[1], after[1])
    return review


def converged(result: plan_review.Review) -> dict[str, tuple[bool, str]]:
    """Per stack, whether its plan is empty, and what it would change (for the failure message)."""
    verdicts = {}
    for tier in result.tiers:
        reported = tier.reported or {}
        empty = not tier.changed and not any(reported.get(key) for key in ("add", "change", "remove"))
        lines = [f"{c.action} {c.address}: {c.describe()}" for c in tier.changes]
        lines += [f"{action} output.{name}" for name, action in tier.outputs.items()]
        verdicts[tier.stack] = (empty, "\n".join(lines))
    return verdicts
