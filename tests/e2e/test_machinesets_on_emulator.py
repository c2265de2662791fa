"""`main.py machinesets` on clusters the flows applied: every filter resolves to exactly the intended
resource through the EC2 API, and a machine launched with exactly the MachineSet's parameters is
accepted (e2e/machinesets.py). The external flow is at the default release (4.22: the Cluster API
names); the brownfield flow at it too after its day 2, in a VPC it was handed (subnets by ID).

The intended resources come from the tiers' outputs (terraform output), not from the MachineSets.
"""
from __future__ import annotations

import pytest

from e2e.conftest import SELECTED

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=SELECTED)
def case(request, flows):
    record = flows[request.param]
    return request.param, record, record.extras["machinesets"]


def test_one_machineset_per_az_in_the_installer_s_files(case):
    _, record, found = case
    azs, edge = record.config.availability_zones, [zone.name for zone in record.config.edge_zones]
    assert found.files == [f"99_openshift-cluster-api_worker-machineset-{n}.yaml" for n in range(len(azs) + len(edge))]
    assert [check.zone for check in found.checks] == [*azs, *edge]
    assert [check.name for check in found.of_role("worker")] == [f"ocp4-x7k2q-worker-{az}" for az in azs]


def test_the_subnet_resolves_to_that_az_s_private_subnet_of_the_cluster_s_vpc(case):
    flow, record, found = case
    for index, check in enumerate(found.of_role("worker")):
        assert check.subnets == [found.expected["private_subnet_ids"][index]], (flow, check.name)
        reference = check.document["spec"]["template"]["spec"]["providerSpec"]["value"]["subnet"]
        if record.config.existing_vpc is not None:  # the network team's subnet keeps its name: by ID
            assert reference == {"id": found.expected["private_subnet_ids"][index]}
        else:
            assert reference == {"filters": [{"name": "tag:Name",
                                              "values": [f"ocp4-x7k2q-subnet-private-{check.zone}"]}]}


def test_each_group_reference_resolves_to_exactly_one_of_the_cluster_s_groups(case):
    flow, record, found = case
    for check in found.checks:
        # The worker group (its Name tag <infra_id>-node), the -lb group, then the handed ones by ID.
        assert check.groups == [[group] for group in found.expected["groups"]], (flow, check.name)
        assert len(check.groups) == 2 + len(record.config.compute.additional_security_group_ids)


def test_the_profile_exists_and_a_machine_with_those_parameters_is_accepted(case):
    flow, record, found = case
    for index, check in enumerate(found.of_role("worker")):
        assert check.profile == found.expected["profile"]
        launched = check.launched
        assert launched, f"{flow}: {check.name} was not launched (a reference did not resolve to one resource)"
        assert (launched["subnet"], launched["vpc"], launched["zone"]) == (
            found.expected["private_subnet_ids"][index], found.expected["vpc_id"], check.zone)
        assert launched["groups"] == sorted(found.expected["groups"])
        assert launched["profile"] == found.expected["profile"] and launched["tokens"] == "required"
        assert launched["tags"]["kubernetes.io/cluster/ocp4-x7k2q"] == "owned"
