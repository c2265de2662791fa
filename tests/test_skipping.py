"""Reviewing and applying only what changed (issue #30): the skip decision, the records it reads,
and that a skipped tier costs no Terraform process. On the emulator: e2e/day2.py."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from modules.configuration import Tier
from modules.configuration.topology import DEPENDENCIES, stack_name
from modules.operations import applied_record, applying, deploy, plan_review, review_record, terraform
from modules.operations.applied_record import Applied, Records
from modules.operations.guard import Refused
from modules.operations.skipping import decide, waves

APPLIED = Applied("code-1", ("lineage-a", 7), (("ocp4-network", ("lineage-n", 3)),))
NETWORK, SECURITY, COMPUTE = (stack_name("ocp4", tier) for tier in (Tier.NETWORK, Tier.SECURITY, Tier.COMPUTE))


# --------------------------------------------------------------------------- the decision


def test_a_tier_unchanged_since_its_apply_is_skipped():
    decision = decide("ocp4-security", "code-1", APPLIED, ("lineage-a", 7))
    assert not decision.plan and "serial 7" in decision.why


@pytest.mark.parametrize("code, applied, state, upstream, now, everything, why", [
    ("code-1", APPLIED, ("lineage-a", 7), (), None, True, "--all"),
    ("code-1", None, ("lineage-a", 7), (), None, False, "no record of an apply"),
    ("code-2", APPLIED, ("lineage-a", 7), (), None, False, "its code changed"),
    ("code-1", APPLIED, ("lineage-a", 8), (), None, False, "(serial 7, now serial 8)"),
    ("code-1", APPLIED, ("lineage-b", 7), (), None, False, "another lineage"),
    ("code-1", APPLIED, None, (), None, False, "now no state"),
    ("code-1", APPLIED, ("lineage-a", 7), (), {"ocp4-network": ("lineage-n", 4)}, False,
     "the state of ocp4-network, which it reads, moved"),
    ("code-1", APPLIED, ("lineage-a", 7), ("ocp4-cluster-infra", "ocp4-network"), None, False,
     "it reads ocp4-cluster-infra, ocp4-network, planned with changes"),
])
def test_anything_that_may_have_changed_it_plans_it(code, applied, state, upstream, now, everything, why):
    decision = decide("ocp4-security", code, applied, state, upstream, upstream_states=now, everything=everything)
    assert decision.plan and why in decision.why


def test_a_skipped_tier_that_reads_a_tier_planned_with_changes_is_planned_in_the_next_wave():
    """a <- b <- c: a is planned (its code changed) and has changes, so b is planned; b has none, so c stays
    skipped. d reads a too but is planned anyway (no record)."""
    reads = {"a": set(), "b": {"a"}, "c": {"b"}, "d": {"a"}}
    first = {"a": True, "b": False, "c": False, "d": True}
    outcome = {"a": True, "b": False, "d": False}
    waves_planned: list[list[str]] = []

    def decision(stack: str, changed: Any) -> Any:
        return decide(stack, "code", None if first[stack] else Applied("code", ("l", 1)), ("l", 1), changed)

    def plan(stacks: list[str]) -> dict[str, bool]:
        waves_planned.append(stacks)
        return {stack: outcome[stack] for stack in stacks}

    decided = waves(["a", "b", "c", "d"], reads, decision, plan)
    assert waves_planned == [["a", "d"], ["b"]]
    assert [s for s, d in decided.items() if d.plan] == ["a", "b", "d"]
    assert decided["b"].why == "it reads a, planned with changes" and not decided["c"].plan


# --------------------------------------------------------------------------- records and reviews, offline


class FakeS3:
    """get_object and put_object on a dict, as S3 answers them (NoSuchKey); the emulator runs the real ones."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.puts: list[dict[str, Any]] = []

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        if (Bucket, Key) not in self.objects:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "not there"}}, "GetObject")
        body = self.objects[(Bucket, Key)]
        return {"Body": type("Body", (), {"read": lambda self: body})()}

    def put_object(self, Bucket: str, Key: str, Body: bytes, **options: Any) -> None:
        self.objects[(Bucket, Key)] = Body
        self.puts.append({"Key": Key, **options})


@pytest.fixture
def applied(synthesized, tmp_path):
    """A copy of the default cluster's output, each stack with a state and a record, as `apply` leaves them."""
    outdir = tmp_path / "out"
    shutil.copytree(synthesized.outdir("default"), outdir)
    s3 = FakeS3()
    records = Records(outdir, lambda service: s3)
    order = deploy.stack_order(outdir, "ocp4")
    for stack in order:
        set_state(records, s3, stack, 3)
    reads = applied_record.reads(outdir, order)
    for stack in order:
        records.record(stack, review_record.stack_digest(deploy.stack_dir(outdir, stack)),
                       sorted({name for name, _ in reads[stack]}))
    return outdir, records, s3, order


def set_state(records: Records, s3: FakeS3, stack: str, serial: int) -> None:
    where = applied_record.backend(deploy.stack_dir(records.outdir, stack))
    state = json.dumps({"version": 4, "lineage": f"lineage-{stack}", "serial": serial}).encode()
    if where.bucket is None:
        Path(where.key).write_bytes(state)
    else:
        s3.objects[(where.bucket, where.key)] = state


def no_terraform(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"a Terraform process was started: {args[0] if args else kwargs}")


def fake_plans(changed: set[str], planned: list[str]):
    def plan_tier(folder: Path, *args: Any, **kwargs: Any) -> plan_review.TierPlan:
        planned.append(folder.name)
        plan = {"resource_changes": [{"address": "terraform_data.x", "type": "terraform_data", "mode": "managed",
                                      "change": {"actions": ["create"], "after": {}}}]} if folder.name in changed else {}
        return plan_review.TierPlan(folder.name, plan, None, None, folder / "review.tfplan")
    return plan_tier


def test_records_sit_next_to_each_state_with_its_encryption(applied, synthesized):
    outdir, records, s3, order = applied
    config = synthesized.configs["default"]
    assert {put["Key"] for put in s3.puts} == {f"{config.state_key(tier)}.applied.json"
                                               for tier in config.tiers if tier is not Tier.STATE}
    assert all(put["ServerSideEncryption"] == "AES256" for put in s3.puts)  # the backend names no KMS key
    state_tier = deploy.stack_dir(outdir, order[0])
    assert (state_tier / f"terraform.tfstate{applied_record.SUFFIX}").is_file()
    # Not code: the state tier's record changes neither its digest nor what synthesis rewrites.
    assert records.applied(order[0]).code == review_record.stack_digest(state_tier)
    assert records.applied(SECURITY).reads == ((NETWORK, (f"lineage-{NETWORK}", 3)),)


def test_an_unchanged_cluster_is_reviewed_without_a_terraform_process(applied, monkeypatch, tmp_path):
    outdir, records, _, order = applied
    monkeypatch.setattr(terraform, "run", no_terraform)
    result = plan_review.review_cluster(outdir, "ocp4", records=records, static=False)
    assert result.tiers == [] and list(result.skipped) == order and plan_review.exit_status(result) == 0
    markdown = result.markdown()
    assert "## Not planned" in markdown and f"- `{COMPUTE}`: unchanged since it was applied" in markdown
    # The review record keeps the skipped stacks, in order, with the records the review read.
    plan_review.write_report(result, tmp_path / "review")
    kept = review_record.load(tmp_path / "review")
    assert [s.stack for s in kept.stacks] == order and all(s.plan is None and s.applied for s in kept.stacks)


def test_a_moved_state_plans_its_tier_and_the_tiers_reading_it_when_it_has_changes(applied, monkeypatch):
    outdir, records, s3, order = applied
    set_state(records, s3, NETWORK, 4)  # applied by hand since
    planned: list[str] = []
    monkeypatch.setattr(plan_review, "plan_tier", fake_plans({NETWORK}, planned))
    result = plan_review.review_cluster(outdir, "ocp4", records=records, static=False)
    # The tier graph's: every tier that depends on the network reads its outputs (test_day2 checks that)
    readers = {stack_name("ocp4", tier) for tier, needs in DEPENDENCIES.items() if Tier.NETWORK in needs
               and stack_name("ocp4", tier) in order}
    assert planned[0] == NETWORK and set(planned) == {NETWORK} | readers
    assert result.decisions[NETWORK].why == "its state moved since it was applied (serial 3, now serial 4)"
    assert all(result.decisions[stack].why.startswith("the state of ") for stack in readers)
    assert set(result.skipped) == set(order) - set(planned)


def test_all_plans_every_tier(applied, monkeypatch):
    outdir, records, _, order = applied
    planned: list[str] = []
    monkeypatch.setattr(plan_review, "plan_tier", fake_plans(set(), planned))
    result = plan_review.review_cluster(outdir, "ocp4", records=records, static=False, everything=True)
    assert sorted(planned) == sorted(order) and result.skipped == {}


def test_apply_skips_what_is_unchanged_and_records_what_it_planned(applied, monkeypatch):
    outdir, records, s3, order = applied
    (deploy.stack_dir(outdir, COMPUTE) / "extra.tf.json").write_text("{}")  # its code changed
    planned: list[str] = []
    monkeypatch.setattr(applying, "_plan_pending", lambda folder, env, *a: (planned.append(folder.name), ([], False))[1])
    monkeypatch.setattr(terraform, "run", no_terraform)
    lines: list[str] = []
    assert applying.apply(outdir, "ocp4", records=records, log=lines.append) == []
    assert planned == [COMPUTE]
    assert sum(line.endswith("skipped: unchanged since it was applied (its code, and its state at serial 3)")
               for line in lines) == len(order) - 1
    # Planned empty: recorded with its new code, so the next run skips it too.
    assert records.applied(COMPUTE).code == review_record.stack_digest(deploy.stack_dir(outdir, COMPUTE))
    planned.clear()
    applying.apply(outdir, "ocp4", records=records, log=lines.append)
    assert planned == []


def test_apply_reviewed_refuses_when_a_skipped_tiers_record_moved(applied, monkeypatch, tmp_path):
    outdir, records, s3, _ = applied
    monkeypatch.setattr(terraform, "run", no_terraform)
    review = tmp_path / "review"
    plan_review.write_report(plan_review.review_cluster(outdir, "ocp4", records=records, static=False), review)
    assert applying.apply_reviewed(outdir, "ocp4", review, records=records, log=lambda line: None) == []
    set_state(records, s3, SECURITY, 5)
    with pytest.raises(Refused, match=rf"the review is stale: the state of {SECURITY} \(skipped at serial 3, "
                                      r"now serial 5\) changed since"):
        applying.apply_reviewed(outdir, "ocp4", review, records=records, log=lambda line: None)
    with pytest.raises(Refused, match="applying it needs their applied records"):
        applying.apply_reviewed(outdir, "ocp4", review, log=lambda line: None)


def test_a_record_that_is_not_one_names_the_way_out(applied):
    outdir, records, s3, _ = applied
    where = applied_record.backend(deploy.stack_dir(outdir, NETWORK))
    s3.objects[(where.bucket, where.key + applied_record.SUFFIX)] = b"{not json"
    with pytest.raises(applied_record.RecordError, match="delete it to plan the tier as if it had none"):
        records.applied(NETWORK)


def test_replace_keeps_the_applied_code_and_follows_the_state(applied):
    outdir, records, s3, _ = applied
    before = records.applied(COMPUTE)
    set_state(records, s3, COMPUTE, 9)
    records.restate(COMPUTE, (f"lineage-{COMPUTE}", 3))
    assert records.applied(COMPUTE) == Applied(before.code, (f"lineage-{COMPUTE}", 9), before.reads)


def test_a_replace_on_a_tier_that_had_moved_leaves_its_record_behind(applied):
    """Applied by hand (or a failed apply) before the replace: the tier must still be planned after it."""
    outdir, records, s3, _ = applied
    before = records.applied(COMPUTE)
    set_state(records, s3, COMPUTE, 10)
    records.restate(COMPUTE, (f"lineage-{COMPUTE}", 5))  # the state before the replace was not the recorded 3
    assert records.applied(COMPUTE) == before



def test_a_fleet_review_passes_over_a_state_this_checkout_does_not_have(applied, monkeypatch):
    """A CI runner's checkout has no state tier's local state (nor its record): that cluster is not listed
    as changed for it, and a review of it plans that tier alone, as before (with its note)."""
    from modules.operations.skipping import any_to_plan

    outdir, records, _, order = applied
    state_tier = deploy.stack_dir(outdir, order[0])
    for name in ("terraform.tfstate", f"terraform.tfstate{applied_record.SUFFIX}"):
        (state_tier / name).unlink()
    assert not records.here(order[0]) and records.here(NETWORK)
    assert not any_to_plan(outdir, "ocp4", records)
    planned: list[str] = []
    monkeypatch.setattr(plan_review, "plan_tier", fake_plans(set(), planned))
    result = plan_review.review_cluster(outdir, "ocp4", records=records, static=False)
    assert planned == [order[0]] and result.decisions[order[0]].why == "no record of an apply"
    (deploy.stack_dir(outdir, COMPUTE) / "extra.tf.json").write_text("{}")
    assert any_to_plan(outdir, "ocp4", records)


def test_the_state_tier_moved_into_the_bucket_keeps_its_record_there(applied):
    """docs/concepts.md: a JSON backend override moves the state tier's state into the bucket;
    one in HCL is not read here, so that tier is planned every time and never recorded."""
    outdir, records, s3, order = applied
    folder = deploy.stack_dir(outdir, order[0])
    key = "ocp-upi-tf/ocp4/state/terraform.tfstate"
    (folder / "backend_override.tf.json").write_text(json.dumps({"terraform": {"backend": {"s3": {
        "bucket": "ocp4-x7k2q-tfstate", "key": key, "region": "us-east-1", "encrypt": True}}}}))
    s3.objects[("ocp4-x7k2q-tfstate", key)] = json.dumps({"lineage": "moved", "serial": 1}).encode()
    assert records.state(order[0]) == ("moved", 1) and records.applied(order[0]) is None
    records.record(order[0], "code", [])
    assert ("ocp4-x7k2q-tfstate", key + applied_record.SUFFIX) in s3.objects
    (folder / "backend_override.tf.json").unlink()
    (folder / "backend_override.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    assert applied_record.backend(folder) is None and records.applied(order[0]) is None
    puts = len(s3.puts)
    records.record(order[0], "code", [])
    assert len(s3.puts) == puts and not records.here(order[0])


def test_an_apply_of_one_tier_records_the_tiers_it_reads(applied, monkeypatch):
    outdir, records, s3, order = applied
    (deploy.stack_dir(outdir, COMPUTE) / "extra.tf.json").write_text("{}")
    monkeypatch.setattr(applying, "_plan_pending", lambda folder, env, *a: ([], False))
    monkeypatch.setattr(terraform, "run", no_terraform)
    applying.apply(outdir, "ocp4", ["compute"], records=records, log=lambda line: None)
    read = {name for name, _ in records.applied(COMPUTE).reads}
    assert read == {stack_name("ocp4", tier) for tier in DEPENDENCIES[Tier.COMPUTE] if tier is not Tier.STATE} != set()
    set_state(records, s3, NETWORK, 9)  # the network applied alone since: compute is planned again
    assert "the state of ocp4-network" in applying.skipping.decider(outdir, "ocp4", order, records)[0](COMPUTE, ()).why


def test_a_plan_that_changes_only_outputs_is_applied_before_it_is_recorded(applied, monkeypatch):
    outdir, records, _, order = applied
    (deploy.stack_dir(outdir, COMPUTE) / "extra.tf.json").write_text("{}")
    monkeypatch.setattr(applying, "_plan_pending", lambda folder, env, *a: ([], folder.name == COMPUTE))
    monkeypatch.setattr(terraform, "run", no_terraform)
    ran: list[str] = []
    monkeypatch.setattr(applying, "_apply_planned", lambda folder, *args: ran.append(folder.name))
    assert applying.apply(outdir, "ocp4", records=records, log=lambda line: None) == [COMPUTE]
    assert ran == [COMPUTE]
    assert records.applied(COMPUTE).code == review_record.stack_digest(deploy.stack_dir(outdir, COMPUTE))


def test_the_ingress_tier_is_planned_every_time(tmp_path, synthesized, monkeypatch):
    """It waits for the router's load balancer, which appears outside Terraform: an unchanged code and
    state says nothing about it (day 1 applies it before the cluster has made the balancer)."""
    from conftest import variant
    from modules.configuration import parse_config
    from modules.operations.synthesis import synthesize

    outdir = synthesize([parse_config(variant(ingress={}))], tmp_path / "out")
    s3 = FakeS3()
    records = Records(outdir, lambda service: s3)
    order = deploy.stack_order(outdir, "ocp4")
    for stack in order:
        set_state(records, s3, stack, 1)
        records.record(stack, review_record.stack_digest(deploy.stack_dir(outdir, stack)), [])
    planned: list[str] = []
    monkeypatch.setattr(plan_review, "plan_tier", fake_plans(set(), planned))
    result = plan_review.review_cluster(outdir, "ocp4", records=records, static=False)
    ingress = stack_name("ocp4", Tier.INGRESS)
    assert planned == [ingress] and result.decisions[ingress].why.startswith("it follows the router's load balancer")
    # It alone does not put the cluster in a fleet's review (the nightly review plans it).
    from modules.operations.skipping import any_to_plan
    assert not any_to_plan(outdir, "ocp4", records)
    (deploy.stack_dir(outdir, COMPUTE) / "extra.tf.json").write_text("{}")
    assert any_to_plan(outdir, "ocp4", records)


def test_an_apply_error_is_told_before_a_record_that_cannot_be_written(applied, monkeypatch):
    """Compute fails; the control plane, in the same level, applies and cannot be recorded."""
    outdir, records, _, _ = applied
    both = (COMPUTE, stack_name("ocp4", Tier.CONTROL_PLANE))
    for stack in both:
        (deploy.stack_dir(outdir, stack) / "extra.tf.json").write_text("{}")
    monkeypatch.setattr(applying, "_plan_pending", lambda folder, env, *a: ([], folder.name in both))
    monkeypatch.setattr(terraform, "run", no_terraform)

    def failed(folder, *args):
        if folder.name == COMPUTE:
            raise RuntimeError(f"{folder.name}: the apply failed")

    def unwritable(*args, **kwargs):
        raise applied_record.RecordError("the bucket refused the record")

    monkeypatch.setattr(applying, "_apply_planned", failed)
    monkeypatch.setattr(records, "record", unwritable)
    with pytest.raises(RuntimeError, match=f"{COMPUTE}: the apply failed"):
        applying.apply(outdir, "ocp4", records=records, log=lambda line: None)
