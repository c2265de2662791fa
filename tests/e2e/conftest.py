"""End-to-end flows against the AWS emulator, run once per session, side by side.

Each flow gets its own emulator process. Synthesis happens here on the main
thread (jsii is not thread-safe); the terraform runs of the flows overlap, as
they spend most of their time in the provider's fixed waits.
"""
from __future__ import annotations

import json
import os
import resource
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import STS, make_install_dir, variant
from e2e.consumer import ConsumerRecord, read_remote_state, run_consumer
from e2e.brownfield import handed_state, hand_over, observe
from e2e.credentials import observe_credentials
from e2e.ingress import exercise_ingress
from e2e.kill import KillRecord, kill_and_recover
from e2e.machinesets import check_machinesets
from e2e.releases import RELEASE_MOVES, plan_release_moves
from e2e.day2 import Refusals, day2_document, refuse_the_changed_review, run_day2
from e2e.skipping import more_document, review_only_what_changed
from e2e.edge import ADDED, EDGE_ZONES, GROUPS, opt_in, plan_added_zone
from emulator import Emulator
from e2e.flow import FlowRecord, run_flow
from e2e.reliability import ReliabilityRecord, run_reliability
from e2e.review import TARGET, ChangedReview, changed_document, converged, review_changed
from modules.operations import deploy, drift, plan_review, sts_manifests, terraform
from modules.configuration import parse_config

# Two flows fit the time budget (each runs ~40 terraform commands, and every one
# loads the 700 MB provider): the default cluster, and one that varies everything
# else at once: publish Internal, a single AZ, bootstrap.ign as a local file that
# the tier uploads to its own bucket, and brownfield: installed into the VPC,
# subnet, private zone (of another account), instance profiles and KMS key that
# e2e/brownfield.py hands over, with an additional group on the workers.
FLOWS = {
    # and its credentials tier (STS), behind CloudFront, the *.apps records as code (e2e/ingress.py), and
    # a Local Zone and a Wavelength Zone (e2e/edge.py)
    "external": {"credentials": STS, "ingress": {}, "edge_zones": EDGE_ZONES},
    # applied for OpenShift 4.15; its day 2 moves it to the default release (e2e/day2.py)
    "brownfield": {"publish": "Internal", "availability_zones": ["us-east-1a"], "openshift_version": "4.15"},
}
BROWNFIELD = "brownfield"

# E2E_FLOWS=external,one_az runs a subset (the tests of the others are skipped as not selected).
SELECTED = [f for f in os.environ.get("E2E_FLOWS", ",".join(FLOWS)).split(",") if f in FLOWS]
TIMINGS: dict[str, float] = {}
CONSUMER: dict[str, ConsumerRecord] = {}
RELIABILITY: dict[str, ReliabilityRecord] = {}
REVIEWS: dict[str, ChangedReview] = {}
REFUSALS: dict[str, Refusals] = {}
KILLS: dict[str, KillRecord] = {}
RUN: dict[str, "Future"] = {}  # "jobs": every e2e job, started when collection ends
# Per job, what its strict emulator injected (throttling, 5xx) and how many a retry got through.
FAULTS: dict[str, dict[str, dict[str, int]]] = {}


def after_external_apply(record: FlowRecord, emulator: Emulator) -> None:
    """What examples/remote-state reads and what the network tier holds; then the unchanged plan
    review, which stands for this flow's "every plan is empty" check (e2e/review.py)."""
    name = record.config.cluster_name
    with ThreadPoolExecutor(max_workers=1) as pool:  # it only reads the state: beside the review
        remote_state = pool.submit(read_remote_state, record.config, emulator, record.outdir.parent / "remote")
        shown = terraform.run(["output", "-json"], deploy.stack_dir(record.outdir, f"{name}-network"),
                                  env=emulator.env)
        unchanged = plan_review.review_cluster(record.outdir, name, target=TARGET, env=emulator.env, workers=3,
                                               outside=drift.outside_terraform(record.config, record.outdir,
                                                                               emulator.env))
        record.extras["remote_state"] = remote_state.result()
    record.extras["network_outputs"] = {key: value["value"] for key, value in json.loads(shown.stdout).items()}
    record.extras["credentials"] = observe_credentials(emulator, record.config)
    # `main.py sts-manifests`, from the applied tier's state
    record.extras["sts_manifests"] = sts_manifests.sts_manifests(record.config, record.outdir,
                                                                 record.outdir.parent / "installer", emulator.env)
    record.extras["unchanged_review"] = unchanged
    record.plans_after_apply = converged(unchanged)
    # Moving the applied cluster to another release: the tiers whose code it changes, planned (e2e/releases.py)
    record.extras["release_moves"] = timed("external.release_moves", plan_release_moves, record, emulator)
    # `main.py machinesets` (e2e/machinesets.py), then the *.apps records once a router exists (e2e/ingress.py)
    record.extras["machinesets"] = timed("external.machinesets", check_machinesets, emulator, record.config,
                                         record.outdir, record.outdir.parent / "machinesets")
    record.extras["ingress"] = timed("external.ingress", exercise_ingress, emulator, record.config, record.outdir,
                                     record.extras["network_outputs"]["public_subnet_ids"])
    # A third edge zone, its group not opted into: refused at plan time, then planned alone (e2e/edge.py)
    record.extras["edge"] = timed("external.edge", plan_added_zone, record, emulator)


def after_brownfield_apply(record: FlowRecord, emulator: Emulator) -> None:
    """What the cluster did with what it was handed (e2e/brownfield.py); then day 2 (e2e/day2.py),
    whose review stands for this flow's "every plan is empty" check."""
    record.extras["observed"] = observe(emulator, record.config, record.extras["handed"])
    day2_config, day2_outdir = record.extras.pop("day2_synthesis")
    record.extras["day2"], record.plans_after_apply = timed(
        "day2", run_day2, record.outdir, day2_config, day2_outdir, emulator)
    # The cluster is now at day 2's release: its MachineSets name the handed subnet by ID.
    record.extras["machinesets"] = timed("brownfield.machinesets", check_machinesets, emulator, day2_config,
                                         day2_outdir, day2_outdir.parent / "machinesets")
    # Every tier now has its applied record (day 2's applies wrote them): review only what changed.
    record.extras["skipping"] = timed("brownfield.skipping", review_only_what_changed, day2_config, day2_outdir,
                                      record.extras.pop("more_synthesis"), emulator)


def after_brownfield_destroy(record: FlowRecord, emulator: Emulator) -> None:
    record.extras["handed_after"] = handed_state(emulator, record.extras["handed"])


AFTER_APPLY = {"external": after_external_apply, BROWNFIELD: after_brownfield_apply}
def after_external_destroy(record: FlowRecord, emulator: Emulator) -> None:
    record.extras["providers_after"] = emulator.client("iam").list_open_id_connect_providers()[
        "OpenIDConnectProviderList"]
    record.extras["carrier_gateways_after"] = emulator.client("ec2").describe_carrier_gateways()["CarrierGateways"]


AFTER_DESTROY = {BROWNFIELD: after_brownfield_destroy, "external": after_external_destroy}


def reliability_job(config, outdir, changed_outdir, emulator: Emulator) -> ReliabilityRecord:
    """The failure cases, the apply killed half-way and its recovery (e2e/kill.py), then the changed
    plan review of the same cluster, completed, then the applies day 2 refuses (e2e/day2.py)."""
    record = timed("reliability", run_reliability, config, outdir, emulator)
    KILLS["record"] = timed("kill", kill_and_recover, config, outdir, emulator)
    REVIEWS["changed"] = timed("changed_review", review_changed, config, outdir, changed_outdir, emulator)
    REFUSALS["record"] = timed("refusals", refuse_the_changed_review, config, changed_outdir, emulator)
    return record


def timed(label: str, job, *args):
    started = time.monotonic()
    try:
        return job(*args)
    finally:
        TIMINGS[label] = time.monotonic() - started


def consumer_job(root, emulator: Emulator) -> ConsumerRecord:
    zone = emulator.client("route53").create_hosted_zone(Name="example.com", CallerReference="consumer")
    ami = emulator.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    config = parse_config(variant(rhcos_ami=ami), source="consumer")
    return run_consumer(config, emulator, root / "consumer", zone["HostedZone"]["Id"].split("/")[-1])


def pytest_collection_modifyitems(session, config, items):  # noqa: D103
    # The e2e jobs run in the background from the end of collection (below), so the rest of the
    # suite runs on the CPU they leave (they average ~1.6 of 2 cores). Hence the order: tests that
    # touch no shared module first, then the e2e tests (which wait for the jobs), and last the
    # tests that monkeypatch (terraform.run, teardown, static_checks: what the jobs call too).
    def rank(item) -> int:
        if item.get_closest_marker("e2e") is not None:
            return 1
        return 2 if "monkeypatch" in getattr(item, "fixturenames", ()) else 0

    items[:] = sorted(items, key=rank)


def pytest_collection_finish(session):  # noqa: D103
    if session.config.option.collectonly or not any(item.get_closest_marker("e2e") for item in session.items):
        return
    RUN["jobs"] = start(session.config._tmp_path_factory.mktemp("e2e"))


def start(root: Path) -> Future:
    """Synthesize every job's clusters here, on the main thread (jsii is not thread-safe), start the
    emulators, and run the jobs in the background; the future holds the flows' records."""
    from modules.operations.synthesis import synthesize

    started = time.monotonic()
    make_install_dir(root / "install")
    running = ExitStack()
    emulators = {name: running.enter_context(Emulator()) for name in SELECTED}
    consumer_emulator = running.enter_context(Emulator(background=True))
    # The reliability job is the longest chain (failure cases, then the changed review and day 2's
    # refusals): at a lower priority it ran on alone for minutes after the flows were done.
    reliability_emulator = running.enter_context(Emulator())
    records = {}
    for name in SELECTED:
        changes = FLOWS[name]
        emulator = emulators[name]
        emulator.client("route53").create_hosted_zone(Name="example.com", CallerReference=name)
        ami = emulator.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        handed = hand_over(emulator, "ocp4.example.com") if name == BROWNFIELD else None
        if handed is not None:
            changes = {**changes, **handed.configuration()}
        config = parse_config(variant(**changes, rhcos_ami=ami, aws_endpoints=emulator.endpoints),
                              source=name, base_dir=root)
        records[name] = FlowRecord(config, synthesize([config], root / name / "cdktf.out"))
        if handed is not None:
            records[name].extras.update(handed=handed, handed_before=handed_state(emulator, handed))
        if name == "external":  # the same cluster for the next release and the last Terraform-era one
            records[name].extras["release_syntheses"] = {
                version: synthesize([replace(config, openshift_version=version)],
                                    root / f"release-{version}" / "cdktf.out") for version in RELEASE_MOVES}
            opt_in(emulator, GROUPS)  # the docs' first step for edge zones
            added = parse_config(variant(**{**changes, "edge_zones": [*EDGE_ZONES, {"name": ADDED}]}, rhcos_ami=ami,
                                         aws_endpoints=emulator.endpoints), source="edge", base_dir=root)
            records[name].extras["edge_added_synthesis"] = synthesize([added], root / "edge-added" / "cdktf.out")
        if name == BROWNFIELD:  # its day 2: another image of the region
            images = emulator.client("ec2").describe_images(Owners=["amazon"])["Images"]
            new_image = next(image["ImageId"] for image in images if image["ImageId"] != ami)
            day2_config = parse_config(day2_document(config, new_image), source="day2", base_dir=root)
            records[name].extras["day2_synthesis"] = (day2_config,
                                                      synthesize([day2_config], root / "day2" / "cdktf.out"))
            more_config = parse_config(more_document(day2_config), source="more", base_dir=root)
            records[name].extras["more_synthesis"] = synthesize([more_config], root / "more" / "cdktf.out")
    reliability_emulator.client("route53").create_hosted_zone(Name="example.com", CallerReference="reliability")
    ami = reliability_emulator.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    reliability_config = parse_config(variant(rhcos_ami=ami, aws_endpoints=reliability_emulator.endpoints),
                                      source="reliability")
    reliability_out = synthesize([reliability_config], root / "reliability" / "cdktf.out")
    # The same cluster changed, for the plan review (e2e/review.py).
    # A second image of the region: the provider looks the AMI up when it creates a machine.
    images = reliability_emulator.client("ec2").describe_images(Owners=["amazon"])["Images"]
    new_image = next(image["ImageId"] for image in images if image["ImageId"] != reliability_config.rhcos_ami)
    changed_config = parse_config(changed_document(reliability_config.to_document(), new_image), source="changed")
    changed_out = synthesize([changed_config], root / "changed" / "cdktf.out")

    def run() -> dict[str, FlowRecord]:
        with running, ThreadPoolExecutor(max_workers=len(SELECTED) + 2) as pool:
            consumer = pool.submit(timed, "consumer", consumer_job, root, consumer_emulator)
            reliability = pool.submit(reliability_job, reliability_config, reliability_out, changed_out,
                                      reliability_emulator)
            futures = {name: pool.submit(run_flow, records[name], emulators[name], AFTER_APPLY.get(name),
                                         AFTER_DESTROY.get(name)) for name in SELECTED}
            results = {name: future.result() for name, future in futures.items()}
            CONSUMER["record"] = consumer.result()
            RELIABILITY["record"] = reliability.result()
        TIMINGS["total"] = time.monotonic() - started
        TIMINGS["emulators_cpu"] = sum(e.cpu_seconds for e in [*emulators.values(), consumer_emulator,
                                                                reliability_emulator])
        FAULTS.update({name: e.faults_at_exit for name, e in
                       [*emulators.items(), ("consumer", consumer_emulator), ("reliability", reliability_emulator)]})
        for name, record in results.items():
            TIMINGS.update({f"{name}.{step}": seconds for step, seconds in record.timings.items()})
        return results

    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="e2e").submit(run)


@pytest.fixture(scope="session")
def flows() -> dict[str, FlowRecord]:
    """The flows' records, once every background job is done (`start`)."""
    records = RUN["jobs"].result()
    # terraform and the emulators, and whatever else the session ran meanwhile
    TIMINGS["session_children_cpu"] = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])
    return records


@pytest.fixture(scope="session")
def injected_faults(flows: dict[str, FlowRecord]) -> dict[str, dict[str, dict[str, int]]]:
    """Per job (each flow, consumer, reliability), per service: faults injected and survived."""
    return FAULTS


@pytest.fixture(scope="session")
def consumer(flows: dict[str, FlowRecord]) -> ConsumerRecord:
    """examples/consumer, run beside the flows against its own emulator."""
    return CONSUMER["record"]


@pytest.fixture(scope="session")
def reliability(flows: dict[str, FlowRecord]) -> ReliabilityRecord:
    """Interrupted and concurrent applies and a state restore, beside the flows on their own emulator."""
    return RELIABILITY["record"]


@pytest.fixture(scope="session")
def killed(flows: dict[str, FlowRecord]) -> KillRecord:
    """`main.py apply` killed while the machine tiers created instances, and the recovery (e2e/kill.py)."""
    return KILLS["record"]


@pytest.fixture(scope="session")
def unchanged_review(flows: dict[str, FlowRecord]) -> plan_review.Review:
    """plan-review of the external flow's cluster after apply, with the configuration it was applied with."""
    return flows["external"].extras["unchanged_review"]


@pytest.fixture(scope="session")
def refusals(flows: dict[str, FlowRecord]) -> Refusals:
    """e2e/day2.py's refused applies, on the reliability job's cluster after its changed review."""
    return REFUSALS["record"]


@pytest.fixture(scope="session")
def changed_review(flows: dict[str, FlowRecord]) -> ChangedReview:
    """plan-review of the reliability job's completed cluster with e2e/review.py's changes."""
    return REVIEWS["changed"]


def pytest_terminal_summary(terminalreporter):  # noqa: D103
    for job, counts in sorted(FAULTS.items()):
        terminalreporter.write_line(f"faults injected into the {job} job's emulator (survived/injected): " + ", ".join(
            f"{service} {c['survived']}/{c['injected']}" for service, c in sorted(counts.items())))
    if TIMINGS:
        terminalreporter.write_line("end-to-end timings (s): " + ", ".join(
            f"{key} {value:.0f}" for key, value in sorted(TIMINGS.items())))
