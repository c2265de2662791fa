"""Reviewing only what changed (issue #30), on the brownfield flow's cluster after its day 2 (e2e/day2.py),
whose applies wrote every tier's applied record:
1. a review of the unchanged cluster: nothing planned;
2. a security rule deleted by hand: the review skipping unchanged tiers does not see it, `--all` does;
3. MORE (one more worker): the review plans only compute, and `apply --reviewed` applies only it;
4. a review with every tier skipped, then the security tier applied by hand (which puts the rule
   back and moves its state): `apply --reviewed` of that review is refused.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modules.configuration import ClusterConfig, Tier
from modules.configuration.topology import stack_name
from modules.operations import applied_record, applying, deploy, plan_review, terraform
from modules.operations.applied_record import Records
from modules.operations.cluster_resources import Aws
from modules.operations.guard import Refused

WORKER_RULE = "WorkerIngressSsh"  # the security tier's rule deleted by hand


@dataclass
class SkipRecord:
    unchanged: plan_review.Review | None = None
    blind: plan_review.Review | None = None  # after the rule was deleted, skipping
    full: plan_review.Review | None = None  # the same, --all
    one_more: plan_review.Review | None = None
    applied: list[str] = field(default_factory=list)
    workers: tuple[int, int] = (0, 0)  # before and after that apply
    refused: Refused | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    kept: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # record key -> (SSE, KMS key)


def more_document(config: ClusterConfig) -> dict[str, Any]:
    """The cluster as day 2 left it, with one more worker."""
    document = config.to_document()
    return {**document, "compute": {**document["compute"], "replicas": config.compute.replicas + 1}}


def running_workers(emulator: Any, infra_id: str) -> int:
    return sum(1 for reservation in emulator.client("ec2").describe_instances()["Reservations"]
               for machine in reservation["Instances"] if machine["State"]["Name"] == "running"
               and any(t["Key"] == "Name" and t["Value"].startswith(f"{infra_id}-worker-") for t in machine["Tags"]))


def delete_rule_by_hand(emulator: Any, security_folder: Path, env: dict[str, str]) -> str:
    """Revoke the security tier's WORKER_RULE with the SDK, as someone in the console would; its ID."""
    address = f'aws_vpc_security_group_ingress_rule.cluster["{WORKER_RULE}"]'
    shown = terraform.run(["state", "show", "-no-color", address], security_folder, env=env).stdout
    rule = next(line.split("=")[1].strip().strip('"') for line in shown.splitlines()
                if line.strip().startswith("security_group_rule_id"))
    group = next(line.split("=")[1].strip().strip('"') for line in shown.splitlines()
                 if line.strip().startswith("security_group_id"))
    emulator.client("ec2").revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule])
    return rule


def review_only_what_changed(config: ClusterConfig, outdir: Path, more_outdir: Path, emulator: Any) -> SkipRecord:
    record, env, name, quiet = SkipRecord(), emulator.env, config.cluster_name, (lambda message: None)
    aws = Aws(config, env)
    records, more = Records(outdir, aws), Records(more_outdir, aws)
    security = deploy.stack_dir(outdir, stack_name(name, Tier.SECURITY))

    def review(folder: Path, kept: Records, **options: Any) -> plan_review.Review:
        started = time.monotonic()
        result = plan_review.review_cluster(folder, name, env=env, static=False, workers=4, records=kept, **options)
        record.seconds[f"review{len(record.seconds)}"] = time.monotonic() - started
        return result

    record.unchanged = review(outdir, records)
    s3, bucket = emulator.client("s3"), config.resolved_state_bucket
    heads = {item["Key"]: s3.head_object(Bucket=bucket, Key=item["Key"])
             for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])
             if item["Key"].endswith(applied_record.SUFFIX)}
    record.kept = {key: (head.get("ServerSideEncryption"), head.get("SSEKMSKeyId")) for key, head in heads.items()}
    delete_rule_by_hand(emulator, security, env)
    record.blind = review(outdir, records)
    record.full = review(outdir, records, everything=True)
    # The state tier keeps its state, and its record, in its stack folder.
    state_tier = Path("stacks") / stack_name(name, Tier.STATE)
    for file in ("terraform.tfstate", f"terraform.tfstate{applied_record.SUFFIX}"):
        shutil.copy2(outdir / state_tier / file, more_outdir / state_tier / file)
    reviews = more_outdir.parent / "review"
    record.one_more = review(more_outdir, more)
    plan_review.write_report(record.one_more, reviews)
    before = running_workers(emulator, config.infra_id)
    record.applied = applying.apply_reviewed(more_outdir, name, reviews, aws=aws, log=quiet, env=env, records=more)
    record.workers = (before, running_workers(emulator, config.infra_id))
    plan_review.write_report(review(more_outdir, more), reviews)  # every tier skipped
    by_hand = deploy.stack_dir(more_outdir, stack_name(name, Tier.SECURITY))  # skipped so far: never initialized
    terraform.init(by_hand, env=env)
    terraform.run(["apply", "-input=false", "-no-color", "-auto-approve"], by_hand, env=env, timeout=900)
    try:
        applying.apply_reviewed(more_outdir, name, reviews, aws=aws, log=quiet, env=env, records=more)
    except Refused as refused:
        record.refused = refused
    return record
