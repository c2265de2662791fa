"""The credentials tier applied on the emulator (the external flow has one: e2e/conftest.py).

Expected values are rendered from the configuration's requests and keys by
configuration/sts.py (whose output tests/test_credentials.py holds to ccoctl's
source) and compared with what IAM and S3 list; the tier's second plan is the
external flow's unchanged review (test_review_on_emulator.py).
"""
from __future__ import annotations

import json
import os

import pytest

from e2e.conftest import SELECTED
from modules.configuration.sts import CLIENT_IDS, DISCOVERY_KEY, JWKS_KEY, discovery_document, trust_policy

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif("external" not in SELECTED, reason="the external flow is not selected")]


@pytest.fixture(scope="module")
def record(flows):
    return flows["external"]


def issuer(record) -> tuple[str, str]:
    [(arn, provider)] = record.extras["credentials"]["providers"].items()
    return arn, provider["url"]


def test_the_provider_is_the_issuer_with_ccoctls_client_ids(record):
    arn, host = issuer(record)
    provider = record.extras["credentials"]["providers"][arn]
    assert host.endswith(".cloudfront.net") and not host.startswith("https://")  # IAM keeps it without the scheme
    assert provider["client_ids"] == sorted(CLIENT_IDS)
    # ccoctl's ownership tags (the configuration's own `tags` come on top, as on every resource)
    assert provider["tags"] == {"openshift.io/cloud-credential-operator/ocp4-x7k2q": "owned", "Name": "ocp4-x7k2q",
                                **record.config.tags}


def test_the_bucket_serves_the_generated_documents(record):
    _, host = issuer(record)
    objects = record.extras["credentials"]["objects"]
    assert objects[DISCOVERY_KEY] == discovery_document(f"https://{host}")
    assert objects[JWKS_KEY] == record.config.credentials.jwks()


def test_every_role_has_its_trust_and_inline_policy_as_listed_through_iam(record):
    arn, host = issuer(record)
    roles = record.extras["credentials"]["roles"]
    requests = record.config.credentials.requests
    assert set(roles) == {r.role_name("ocp4-x7k2q") for r in requests}
    for request in requests:
        role = roles[request.role_name("ocp4-x7k2q")]
        assert role["trust"] == json.loads(trust_policy(arn, host, request)), request.key
        assert role["policies"] == {request.role_name("ocp4-x7k2q"): json.loads(request.policy_document())}


def test_the_tech_preview_request_in_the_folder_gets_no_role_and_no_secret(record):
    """The folder holds the Cluster API request as the release carries it (feature-set TechPreviewNoUpgrade,
    tests/fixtures/credrequests/0000_30_cluster-api_00_credentials-request.yaml) and the flow leaves tech
    preview off: as ccoctl, no role for it in IAM and no Secret for it among the manifests."""
    assert "0000_30_cluster-api_00_credentials-request.yaml" in os.listdir(record.config.credentials.requests_dir)
    assert record.config.credentials.enable_tech_preview is False
    assert len(record.extras["credentials"]["roles"]) == 4  # machine API, registry, ingress, EBS CSI
    assert not [name for name in record.extras["credentials"]["roles"] if "cluster-api" in name]
    written = {path.name for path in record.extras["sts_manifests"]}
    assert "openshift-cluster-api-capa-manager-bootstrap-credentials-credentials.yaml" not in written
    assert not [name for name in written if "capa" in name]


def test_sts_manifests_name_the_applied_roles_and_issuer(record):
    written = {path.name: path.read_text() for path in record.extras["sts_manifests"]}
    _, host = issuer(record)
    assert written["cluster-authentication-02-config.yaml"].endswith(f"serviceAccountIssuer: https://{host}")
    for request in record.config.credentials.requests:
        role = f"arn:aws:iam::123456789012:role/{request.role_name('ocp4-x7k2q')}"
        assert f"    role_arn = {role}\n" in written[request.secret_file], request.key


def test_destroy_leaves_no_provider_role_or_bucket(record):
    assert record.extras["providers_after"] == []
    assert not [name for name in record.after_destroy["roles"]]
    assert "ocp4-x7k2q-oidc" not in record.after_destroy["buckets"]
