"""The brownfield flow: a cluster installed into a handed-over VPC, zone, IAM and key (e2e/brownfield.py).

Its second plan of every tier is empty like every flow's (test_end_to_end.py,
through its day 2 review); here: what it created and what it left alone.
Expected values come from what e2e/brownfield.py handed over and the
configuration, never from the state under test.
"""
from __future__ import annotations

import pytest

from e2e.brownfield import IAM_PATH, SUBNET_TAGS
from e2e.conftest import BROWNFIELD, SELECTED

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(BROWNFIELD not in SELECTED, reason="the brownfield flow is not selected")]
INFRA = "ocp4-x7k2q"


@pytest.fixture(scope="module")
def record(flows):
    return flows[BROWNFIELD]


def test_the_network_tier_creates_nothing_in_the_handed_vpc(record):
    handed, found = record.extras["handed"], record.after_apply
    assert [vpc["id"] for vpc in found["vpcs"]] == [handed.vpc_id]
    assert [subnet["id"] for subnet in found["subnets"]] == [handed.subnet_id]
    assert [table["id"] for table in found["route_tables"]] == [handed.route_table_id]
    assert found["nat_gateways"] == [] and found["endpoints"] == []  # the S3 endpoint was not asked for


def test_the_handed_subnet_gets_the_cluster_tags_and_keeps_its_own(record):
    assert record.extras["observed"]["subnet_tags"] == {
        **SUBNET_TAGS, f"kubernetes.io/cluster/{INFRA}": "shared", "kubernetes.io/role/internal-elb": "1"}


def test_records_go_through_the_role_into_the_zone_of_the_other_account(record):
    observed = record.extras["observed"]
    assert set(observed["zone_records"]) == {("api.ocp4.example.com.", "A"), ("api-int.ocp4.example.com.", "A")}
    # No zone was created: the cluster's own account holds only the public zone.
    assert observed["own_account_zones"] == ["example.com."]


def test_handed_profiles_are_used_and_the_created_role_has_the_path_and_the_boundary(record):
    handed, found = record.extras["handed"], record.after_apply
    created = {name: roles for name, roles in found["profiles"].items() if name not in handed.profiles.values()}
    assert created == {f"{INFRA}-bootstrap-profile": [f"{INFRA}-bootstrap-role"]}
    assert not [name for name in found["roles"] if name.startswith(f"{INFRA}-") and "bootstrap" not in name]
    assert record.extras["observed"]["bootstrap_role"] == (IAM_PATH, handed.boundary_arn, IAM_PATH)
    policy = found["roles"][f"{INFRA}-bootstrap-role"]["policies"][f"{INFRA}-bootstrap-policy"]
    # The Ignition object is SSE-KMS: reading it takes kms:Decrypt on that key, and on no other.
    assert {"Action": "kms:Decrypt", "Effect": "Allow", "Resource": handed.key_arn} in policy["Statement"]


def test_volumes_state_and_ignition_are_encrypted_with_the_handed_key(record):
    handed, observed = record.extras["handed"], record.extras["observed"]
    machines = {f"{INFRA}-bootstrap"} | {f"{INFRA}-master-{i}" for i in range(3)} | \
        {f"{INFRA}-worker-{i}" for i in range(record.config.compute.replicas)}
    assert set(observed["volumes"]) == machines
    for name, volumes in observed["volumes"].items():
        assert volumes == [(True, handed.key_arn)], name
    assert len(observed["encryption"]) == 7  # six state objects and bootstrap.ign
    for key, encryption in observed["encryption"].items():
        assert encryption == ("aws:kms", handed.key_arn), key
    for bucket, default in observed["bucket_keys"].items():
        assert default == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": handed.key_arn}, bucket


def test_destroy_removes_what_the_cluster_created_and_leaves_what_was_handed_as_it_was(record):
    handed, found = record.extras["handed"], record.after_destroy
    assert record.extras["handed_after"] == record.extras["handed_before"]  # tags, rules, roles, records, key
    assert [vpc["id"] for vpc in found["vpcs"]] == [handed.vpc_id]
    assert [subnet["id"] for subnet in found["subnets"]] == [handed.subnet_id]
    assert list(found["security_groups"]) == [handed.group_id]
    for kind in ("instances", "load_balancers", "target_groups", "nat_gateways", "endpoints"):
        assert not found[kind], (kind, found[kind])
    assert set(found["profiles"]) == set(handed.profiles.values())
    assert set(found["roles"]) == set(handed.profiles.values())
    assert set(found["zones"]) == {"example.com."}
    assert set(found["buckets"]) == {f"{INFRA}-tfstate", "other-9zq2w-image-registry-us-east-1-abcdefgh"}
    assert "prevent_destroy" in record.state_destroy.stderr
