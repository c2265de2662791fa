"""Teardown of a cluster that ran: destroy removes what the cluster created, and nothing else.

Before each flow's destroy, e2e/teardown.py plants what a running cluster
creates (load balancers and their groups, a rule on the worker group that
references one, *.apps records in both zones, a volume, a snapshot and a bucket
of data, a credential operator's user with a key, a MachineSet's machine), and
decoys that are not the cluster's. Expected values come from what was planted.
"""
from __future__ import annotations

import pytest

from e2e.conftest import SELECTED
from e2e.flow import tiers_of

pytestmark = pytest.mark.e2e


def listed(dry_run) -> set[tuple[str, str]]:
    return {(item.kind, item.id) for item in dry_run.cluster}


@pytest.mark.parametrize("flow", SELECTED)
def test_the_dry_run_lists_every_planted_resource_and_no_decoy_and_changes_nothing(flows, flow):
    record = flows[flow]
    assert set(record.planted.cluster.values()) <= listed(record.dry_run)
    assert not set(record.planted.decoys.values()) & listed(record.dry_run)
    # Terraform's part: every remaining tier, each with what its state holds.
    assert set(record.dry_run.terraform) == {f"ocp4-{t}" for t in tiers_of(record) if t != "bootstrap"}
    network = 'aws_ec2_tag.subnet["us-east-1a/private/cluster"]' if record.config.existing_vpc else "aws_vpc.cluster"
    assert network in record.dry_run.terraform["ocp4-network"]
    assert 'aws_instance.worker["0"]' in record.dry_run.terraform["ocp4-compute"]
    assert not [a for addresses in record.dry_run.terraform.values() for a in addresses if a.startswith("data.")]
    assert record.after_dry_run == record.before_teardown
    report = record.dry_run.report()
    assert all(ident in report for _, ident in record.planted.cluster.values())


@pytest.mark.parametrize("flow", SELECTED)
def test_destroy_without_the_data_flag_names_the_data_and_destroys_nothing(flows, flow):
    record = flows[flow]
    assert record.refused is not None, "destroy went ahead although the cluster holds data"
    data = {record.planted.cluster[label] for label in record.planted.data}
    assert {(item.kind, item.id) for item in record.refused.data} == data
    message = str(record.refused)
    assert "--delete-data" in message and all(ident in message for _, ident in data)
    assert record.after_refusal == record.before_teardown


@pytest.mark.parametrize("flow", SELECTED)
def test_with_the_data_flag_nothing_of_the_cluster_remains_and_every_decoy_does(flows, flow):
    record = flows[flow]
    assert not [label for label in record.planted.cluster if record.remaining[label]]
    assert [label for label in record.planted.decoys if not record.remaining[label]] == []
    before, after = record.state_keys
    assert before and after == before  # the state bucket holds the same state objects
