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
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest

from conftest import make_install_dir, variant
from e2e.consumer import ConsumerRecord, read_remote_state, run_consumer
from emulator import Emulator
from e2e.flow import FlowRecord, run_flow
from e2e.reliability import ReliabilityRecord, run_reliability
from e2e.review import TARGET, ChangedReview, changed_document, converged, review_changed
from modules.operations import deploy, plan_review, terraform
from modules.configuration import parse_config

# Two flows fit the time budget (each runs ~40 terraform commands, and every one
# loads the 700 MB provider): the default cluster, and one that varies everything
# else at once: publish Internal, a single AZ, and bootstrap.ign as a local file
# that the tier uploads to its own bucket.
FLOWS = {
    "external": {},
    "internal_one_az": {"publish": "Internal", "availability_zones": ["us-east-1a"],
                        "bootstrap": {"ignition": "install/bootstrap.ign"}},
}

# E2E_FLOWS=external,one_az runs a subset (the tests of the others are skipped as not selected).
SELECTED = [f for f in os.environ.get("E2E_FLOWS", ",".join(FLOWS)).split(",") if f in FLOWS]
TIMINGS: dict[str, float] = {}
CONSUMER: dict[str, ConsumerRecord] = {}
RELIABILITY: dict[str, ReliabilityRecord] = {}
REVIEWS: dict[str, ChangedReview] = {}


def after_external_apply(record: FlowRecord, emulator: Emulator) -> None:
    """What examples/remote-state reads and what the network tier holds; then the unchanged plan
    review, which stands for this flow's "every plan is empty" check (e2e/review.py)."""
    name = record.config.cluster_name
    with ThreadPoolExecutor(max_workers=1) as pool:  # it only reads the state: beside the review
        remote_state = pool.submit(read_remote_state, record.config, emulator, record.outdir.parent / "remote")
        shown = terraform.run(["output", "-json"], deploy.stack_dir(record.outdir, f"{name}-network"),
                                  env=emulator.env)
        unchanged = plan_review.review_cluster(record.outdir, name, target=TARGET, env=emulator.env, workers=3)
        record.extras["remote_state"] = remote_state.result()
    record.extras["network_outputs"] = {key: value["value"] for key, value in json.loads(shown.stdout).items()}
    record.extras["unchanged_review"] = unchanged
    record.plans_after_apply = converged(unchanged)


def reliability_job(config, outdir, changed_outdir, emulator: Emulator) -> ReliabilityRecord:
    """The failure cases, then the changed plan review of the same cluster, completed."""
    record = timed("reliability", run_reliability, config, outdir, emulator)
    REVIEWS["changed"] = timed("changed_review", review_changed, config, outdir, changed_outdir, emulator)
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


@pytest.fixture(scope="session")
def flows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FlowRecord]:
    from modules.operations.synthesis import synthesize

    started = time.monotonic()
    root = tmp_path_factory.mktemp("e2e")
    make_install_dir(root / "install")
    with ExitStack() as running:
        emulators = {name: running.enter_context(Emulator()) for name in SELECTED}
        consumer_emulator = running.enter_context(Emulator(background=True))
        reliability_emulator = running.enter_context(Emulator(background=True))
        records = {}
        for name in SELECTED:
            changes = FLOWS[name]
            emulator = emulators[name]
            emulator.client("route53").create_hosted_zone(Name="example.com", CallerReference=name)
            ami = emulator.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
            config = parse_config(variant(**changes, rhcos_ami=ami, aws_endpoints=emulator.endpoints),
                                  source=name, base_dir=root)
            records[name] = FlowRecord(config, synthesize([config], root / name / "cdktf.out"))
        reliability_emulator.client("route53").create_hosted_zone(Name="example.com", CallerReference="reliability")
        ami = reliability_emulator.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        reliability_config = parse_config(variant(rhcos_ami=ami, aws_endpoints=reliability_emulator.endpoints),
                                          source="reliability")
        reliability_out = synthesize([reliability_config], root / "reliability" / "cdktf.out")
        # The same cluster changed, for the plan review (e2e/review.py).
        # A second image of the region: the provider looks the AMI up when it creates a machine.
        images = reliability_emulator.client("ec2").describe_images(Owners=["amazon"])["Images"]
        new_image = next(image["ImageId"] for image in images if image["ImageId"] != reliability_config.rhcos_ami)
        changed_config = parse_config(changed_document(reliability_config.to_document(), new_image),
                                      source="changed")
        changed_out = synthesize([changed_config], root / "changed" / "cdktf.out")
        with ThreadPoolExecutor(max_workers=len(SELECTED) + 2) as pool:
            consumer = pool.submit(timed, "consumer", consumer_job, root, consumer_emulator)
            reliability = pool.submit(reliability_job, reliability_config, reliability_out, changed_out,
                                      reliability_emulator)
            futures = {name: pool.submit(run_flow, records[name], emulators[name],
                                         after_external_apply if name == "external" else None)
                       for name in SELECTED}
            results = {name: future.result() for name, future in futures.items()}
            CONSUMER["record"] = consumer.result()
            RELIABILITY["record"] = reliability.result()
    TIMINGS["total"] = time.monotonic() - started
    TIMINGS["emulators_cpu"] = sum(e.cpu_seconds for e in [*emulators.values(), consumer_emulator,
                                                            reliability_emulator])
    TIMINGS["children_cpu"] = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])  # terraform and emulators
    for name, record in results.items():
        TIMINGS.update({f"{name}.{step}": seconds for step, seconds in record.timings.items()})
    return results


@pytest.fixture(scope="session")
def consumer(flows: dict[str, FlowRecord]) -> ConsumerRecord:
    """examples/consumer, run beside the flows against its own emulator."""
    return CONSUMER["record"]


@pytest.fixture(scope="session")
def reliability(flows: dict[str, FlowRecord]) -> ReliabilityRecord:
    """Interrupted and concurrent applies and a state restore, beside the flows on their own emulator."""
    return RELIABILITY["record"]


@pytest.fixture(scope="session")
def unchanged_review(flows: dict[str, FlowRecord]) -> plan_review.Review:
    """plan-review of the external flow's cluster after apply, with the configuration it was applied with."""
    return flows["external"].extras["unchanged_review"]


@pytest.fixture(scope="session")
def changed_review(flows: dict[str, FlowRecord]) -> ChangedReview:
    """plan-review of the reliability job's completed cluster with e2e/review.py's changes."""
    return REVIEWS["changed"]


def pytest_terminal_summary(terminalreporter):  # noqa: D103
    if TIMINGS:
        terminalreporter.write_line("end-to-end timings (s): " + ", ".join(
            f"{key} {value:.0f}" for key, value in sorted(TIMINGS.items())))
