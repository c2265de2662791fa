"""Short-term credentials: CredentialsRequests in, ccoctl's roles, documents and manifests out.

The fixtures (tests/fixtures/credrequests) are written for these tests in the
public CredentialsRequest format, shaped like a release's: several operators,
two documents in one file, one marked for deletion, policy conditions; and one
taken from its operator's repository as a release carries it (the Cluster API
request, tech preview: CAPI below). tests/fixtures/sts holds public keys only.

Every expected value here is written out from ccoctl's source
(openshift/cloud-credential-operator, pkg/cmd/provisioning/), with the file it
comes from named beside it, never copied from what the code under test produced.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from conftest import FIXTURES, STS, variant
from modules.configuration import ConfigError, parse_config
from modules.configuration.sts import discovery_document, trust_policy
from modules.operations import deploy, sts_manifests
from modules.operations.plan_review import attention_for

INFRA = "ocp4-x7k2q"
KEYS = FIXTURES / "sts"


def config_with(**credentials: Any):
    return parse_config(variant(credentials={**STS, **credentials}))


def problems(folder: Path, **credentials: Any) -> list[str]:
    try:
        parse_config(variant(credentials={**STS, "requests_dir": str(folder), **credentials}))
    except ConfigError as error:
        return error.problems
    return []


def b64url_int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


@pytest.fixture(scope="module")
def config():
    return config_with()


# --------------------------------------------------------------------------- reading the requests


# The Cluster API request as a release carries it: openshift/cluster-capi-operator,
# manifests/0000_30_cluster-api_00_credentials-request.yaml at 02e8b3d77682cead90bf86f3efe26dae1649f95d
# (its AWS document), annotated `release.openshift.io/feature-set: "TechPreviewNoUpgrade"`.
CAPI = "0000_30_cluster-api_00_credentials-request.yaml"
CAPI_NAME = "openshift-cluster-api-aws"


def test_the_requests_are_read_as_ccoctl_reads_them(config):
    # GetListOfCredentialsRequests (utils.go): the *.yaml and *.yml files of the folder in name order, every
    # document; left out: the ingress copy marked release.openshift.io/delete: "true", and the Cluster API
    # request (feature-set TechPreviewNoUpgrade) unless tech preview is enabled.
    assert [r.name for r in config.credentials.requests] == [
        "openshift-machine-api-aws", "openshift-image-registry", "openshift-ingress", "aws-ebs-csi-driver-operator"]
    with_preview = config_with(enable_tech_preview=True)
    assert [r.name for r in with_preview.credentials.requests] == [
        CAPI_NAME, "openshift-machine-api-aws", "openshift-image-registry", "openshift-ingress",
        "aws-ebs-csi-driver-operator"]
    capi = with_preview.credentials.requests[0]
    assert (capi.key, capi.service_accounts) == ("openshift-cluster-api/capa-manager-bootstrap-credentials",
                                                 ("cluster-capi-operator",))
    assert {"ec2:RunInstances", "iam:PassRole"} <= set(capi.statements[0].actions)


FEATURE_SET, FEATURE_GATE, DELETE = ("release.openshift.io/feature-set", "release.openshift.io/feature-gate",
                                     "release.openshift.io/delete")
# The Cluster API request's annotations -> (is its role made without tech preview, with it). Expected from
# ccoctl's master, pkg/cmd/provisioning/utils.go, GetListOfCredentialsRequests: delete "true" is skipped; a
# feature-set annotation with any value is skipped unless --enable-tech-preview, and with it kept only when
# it is TechPreviewNoUpgrade. The feature-gate key, as this project reads it (docs/credentials.md):
# a feature set's name there is a 4.11-era request and read as ccoctl release-4.11 read it; a feature gate's
# name (what releases since 4.12 put there) is ignored, as ccoctl's master ignores the key.
SKIP_CASES = {
    "no annotation": ({}, True, True),
    "feature-set TechPreviewNoUpgrade": ({FEATURE_SET: "TechPreviewNoUpgrade"}, False, True),
    # The value cluster-capi-operator's 0000_30_cluster-api_01_credentials-request.yaml carries at ee984fd4.
    "feature-set CustomNoUpgrade,TechPreviewNoUpgrade": ({FEATURE_SET: "CustomNoUpgrade,TechPreviewNoUpgrade"},
                                                         False, False),
    "feature-set DevPreviewNoUpgrade": ({FEATURE_SET: "DevPreviewNoUpgrade"}, False, False),
    "feature-set empty": ({FEATURE_SET: ""}, False, False),
    "deleted": ({DELETE: "true"}, False, False),
    "deleted and tech preview": ({DELETE: "true", FEATURE_SET: "TechPreviewNoUpgrade"}, False, False),
    "delete false": ({DELETE: "false"}, True, True),
    "4.11-era feature-gate TechPreviewNoUpgrade": ({FEATURE_GATE: "TechPreviewNoUpgrade"}, False, True),
    "4.11-era feature-gate CustomNoUpgrade": ({FEATURE_GATE: "CustomNoUpgrade"}, False, False),
    # The value the same file carries at 0d978efd: feature gates, not a feature set.
    "feature-gate naming gates": ({FEATURE_GATE: "ClusterAPIMachineManagement,ClusterAPIMachineManagementAWS"},
                                  True, True),
}


@pytest.mark.parametrize("case", SKIP_CASES)
def test_a_request_is_made_or_skipped_as_ccoctl_does(case, tmp_path):
    annotations, without_preview, with_preview = SKIP_CASES[case]
    folder = tmp_path / "requests"
    folder.mkdir()
    shutil.copy(FIXTURES / "credrequests" / "0000_30_machine-api-operator_00_credentials-request.yaml", folder)
    document = yaml.safe_load((FIXTURES / "credrequests" / CAPI).read_text())
    document["metadata"]["annotations"] = {**{k: v for k, v in document["metadata"]["annotations"].items()
                                              if k != FEATURE_SET}, **annotations}
    (folder / CAPI).write_text(yaml.safe_dump(document))
    made = {}
    for preview in (False, True):
        parsed = parse_config(variant(credentials={**STS, "requests_dir": str(folder), "enable_tech_preview": preview}))
        names = [r.name for r in parsed.credentials.requests]
        assert "openshift-machine-api-aws" in names
        made[preview] = CAPI_NAME in names
    assert (made[False], made[True]) == (without_preview, with_preview)


def test_each_request_left_out_is_listed_with_why_as_ccoctl_logs_it(config):
    # utils.go logs "Ignoring CredentialsRequest ..." for each; sts-manifests prints these lines.
    assert config.credentials.skipped == (
        f"{CAPI}, document 1 (openshift-cluster-api-aws): release.openshift.io/feature-set: TechPreviewNoUpgrade "
        "(a feature set's request; credentials.enable_tech_preview is false)",
        "0000_50_cluster-ingress-operator_00-ingress-credentials-request.yaml, document 2 (openshift-ingress-legacy): "
        'release.openshift.io/delete: "true" (the release deletes it)')


def test_an_unquoted_annotation_is_refused_as_kubernetes_would(tmp_path):
    # Annotations are map[string]string: ccoctl's decoder fails on a YAML boolean, so no role is guessed.
    folder = tmp_path / "requests"
    folder.mkdir()
    document = yaml.safe_load((FIXTURES / "credrequests" / CAPI).read_text())
    document["metadata"]["annotations"] = {DELETE: True}
    (folder / CAPI).write_text(yaml.safe_dump(document))
    assert problems(folder) == [
        f"credentials.requests_dir: {CAPI}, document 1: metadata.annotations[\"release.openshift.io/delete\"] is "
        "true, not a string; expected a quoted value, as Kubernetes reads annotations"]


def test_the_skip_reason_names_the_annotation_and_the_switch():
    from modules.configuration.sts import skip_reason

    assert skip_reason({FEATURE_SET: "TechPreviewNoUpgrade"}, False) == (
        "release.openshift.io/feature-set: TechPreviewNoUpgrade (a feature set's request; "
        "credentials.enable_tech_preview is false)")
    assert skip_reason({FEATURE_SET: "CustomNoUpgrade"}, True) == (
        "release.openshift.io/feature-set: CustomNoUpgrade (only TechPreviewNoUpgrade requests are made with "
        "tech preview)")
    assert skip_reason({FEATURE_SET: "TechPreviewNoUpgrade"}, True) is None


def test_a_role_made_before_this_fix_is_deleted_and_the_review_shows_what_it_granted():
    """0.7.0 and older made the Cluster API role from a current release's folder; the next plan deletes
    its role and inline policy. The review names the role's destruction (Attention) and every grant lost."""
    from modules.operations.plan_review import review_tier

    capi = next(r for r in config_with(enable_tech_preview=True).credentials.requests if r.name == CAPI_NAME)
    provider = "arn:aws:iam::123456789012:oidc-provider/d111111abcdef8.cloudfront.net"
    key = json.dumps(capi.key)
    plan = {"resource_changes": [
        {"address": f"aws_iam_role_policy.operator[{key}]", "mode": "managed", "type": "aws_iam_role_policy",
         "name": "operator", "change": {"actions": ["delete"], "after": None, "after_unknown": {},
                                        "before": {"policy": capi.policy_document(), "name": capi.role_name(INFRA)}}},
        {"address": f"aws_iam_role.operator[{key}]", "mode": "managed", "type": "aws_iam_role", "name": "operator",
         "change": {"actions": ["delete"], "after": None, "after_unknown": {}, "before": {
             "name": capi.role_name(INFRA),
             "assume_role_policy": trust_policy(provider, "d111111abcdef8.cloudfront.net", capi)}}}]}
    review = review_tier("ocp4-credentials", plan)
    assert review.counts["destroy"] == 2
    assert review.attention == [f"`aws_iam_role.operator[{key}]`: aws_iam_role will be destroyed"]
    policy_lost, trust_lost = review.revoked
    assert policy_lost.startswith(f"`aws_iam_role_policy.operator[{key}]`: ")
    for grant in ("`ec2:RunInstances on *`", "`iam:PassRole on *`",
                  '`kms:CreateGrant on * if {"Bool": {"kms:GrantIsForAWSResource": true}}`'):
        assert grant in policy_lost, policy_lost
    assert trust_lost.startswith(f"`aws_iam_role.operator[{key}]`: `sts:AssumeRoleWithWebIdentity on the role to "
                                 f'{{"Federated": "{provider}"}}')
    assert "system:serviceaccount:openshift-cluster-api:cluster-capi-operator" in trust_lost
    # A policy only known after apply (its role recreated, say) names no removal: its grants are unknown yet.
    unknown = {"resource_changes": [{**plan["resource_changes"][0], "change": {
        "actions": ["update"], "before": {"policy": capi.policy_document()}, "after": {},
        "after_unknown": {"policy": True}}}]}
    assert review_tier("ocp4-credentials", unknown).revoked == []


def test_role_names_follow_ccoctl_and_are_cut_at_64(config, tmp_path):
    # create-iam-roles.go: fmt.Sprintf("%s-%s-%s", name, secretRef.Namespace, secretRef.Name), then roleName[0:64].
    names = {r.key: r.role_name(INFRA) for r in config.credentials.requests}
    assert names["openshift-ingress-operator/cloud-credentials"] == \
        "ocp4-x7k2q-openshift-ingress-operator-cloud-credentials"
    registry = next(r for r in config.credentials.requests if r.secret_name == "installer-cloud-credentials")
    assert registry.role_name(INFRA) == "ocp4-x7k2q-openshift-image-registry-installer-cloud-credentials"  # 63
    # A longer infra ID (the installer's go up to 27 characters): 71 characters, the first 64 kept.
    assert registry.role_name("production-east-x7k2q") == \
        "production-east-x7k2q-openshift-image-registry-installer-cloud-c"


def test_the_inline_policy_is_ccoctls_compact_json(config):
    # create-iam-roles.go: json.Marshal(&PolicyDocument{Version, Statement: [{Effect, Action, Resource,
    # Condition (omitempty)}]}); Go writes map keys (the condition) sorted.
    ebs = next(r for r in config.credentials.requests if r.secret_name == "ebs-cloud-credentials")
    actions = ["ec2:AttachVolume", "ec2:CreateSnapshot", "ec2:CreateTags", "ec2:CreateVolume", "ec2:DeleteSnapshot",
               "ec2:DeleteTags", "ec2:DeleteVolume", "ec2:DescribeInstances", "ec2:DescribeSnapshots",
               "ec2:DescribeTags", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications", "ec2:DetachVolume",
               "ec2:ModifyVolume"]
    assert ebs.policy_document() == (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":' + json.dumps(actions, separators=(",", ":"))
        + ',"Resource":"*"},{"Effect":"Allow","Action":["kms:CreateGrant"],"Resource":"*","Condition":'
        '{"Bool":{"kms:GrantIsForAWSResource":true},"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}')


def test_the_trust_policy_is_ccoctls_for_every_service_account(config):
    # create-iam-roles.go, rolePolicyDocmentTemplate: Federated = the provider's ARN, StringEquals on
    # "<issuer without https://>:sub" with "system:serviceaccount:<secretRef.namespace>:<sa>" for each.
    registry = next(r for r in config.credentials.requests if r.secret_name == "installer-cloud-credentials")
    provider = "arn:aws:iam::123456789012:oidc-provider/d111111abcdef8.cloudfront.net"
    ccoctl = ('{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Federated": "%s" }, '
              '"Action": "sts:AssumeRoleWithWebIdentity", "Condition":  { "StringEquals": { "%s:sub": '
              '[ "system:serviceaccount:openshift-image-registry:cluster-image-registry-operator"  , '
              '"system:serviceaccount:openshift-image-registry:registry" ] } } } ] }') % (
        provider, "d111111abcdef8.cloudfront.net")
    assert json.loads(trust_policy(provider, "d111111abcdef8.cloudfront.net", registry)) == json.loads(ccoctl)


# --------------------------------------------------------------------------- the issuer's documents


def test_the_key_set_publishes_each_key_as_ccoctl_derives_it(config):
    keys = json.loads(config.credentials.jwks())["keys"]
    assert len(keys) == 2  # the current key first, then the one a rotation still serves
    for jwk, name in zip(keys, ("serviceaccount-signer.public", "previous-signer.public")):
        public = serialization.load_pem_public_key((KEYS / name).read_bytes())
        numbers = public.public_numbers()
        assert (b64url_int(jwk["n"]), b64url_int(jwk["e"])) == (numbers.n, numbers.e)
        # KeyIDFromPublicKey (utils.go): SHA-256 of the PKIX DER, base64url without padding.
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert jwk["kid"] == base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
        assert list(jwk) == ["use", "kty", "kid", "alg", "n", "e"]  # go-jose's field order
        assert (jwk["use"], jwk["kty"], jwk["alg"], jwk["e"]) == ("sig", "RSA", "RS256", "AQAB")
        assert not jwk["n"].startswith("AA")  # no leading zero byte
    # json.MarshalIndent(keySet, "", "    "): four spaces, no trailing newline.
    assert config.credentials.jwks().startswith('{\n    "keys": [\n        {\n            "use": "sig",')
    assert not config.credentials.jwks().endswith("\n")


def test_the_discovery_document_is_ccoctls_template_to_the_byte():
    # constants.go, DiscoveryDocumentTemplate: tabs before issuer and jwks_uri, "sub" listed twice.
    issuer = "https://d111111abcdef8.cloudfront.net"
    assert discovery_document(issuer) == (
        '{\n\t"issuer": "https://d111111abcdef8.cloudfront.net",\n'
        '\t"jwks_uri": "https://d111111abcdef8.cloudfront.net/keys.json",\n'
        '    "response_types_supported": [\n        "id_token"\n    ],\n'
        '    "subject_types_supported": [\n        "public"\n    ],\n'
        '    "id_token_signing_alg_values_supported": [\n        "RS256"\n    ],\n'
        '    "claims_supported": [\n        "aud",\n        "exp",\n        "sub",\n        "iat",\n'
        '        "iss",\n        "sub"\n    ]\n}')


# --------------------------------------------------------------------------- the manifests


def test_the_manifests_are_ccoctls_byte_for_byte(config, tmp_path):
    arns = {r.key: f"arn:aws:iam::123456789012:role/{r.role_name(INFRA)}" for r in config.credentials.requests}
    state = {"outputs": {"issuer_url": {"value": "https://d111111abcdef8.cloudfront.net"},
                         "role_arns": {"value": arns}}}
    written = sts_manifests.write(tmp_path, sts_manifests.render(config, state))
    names = sorted(path.name for path in written)
    # create-iam-roles.go: "<secretRef.namespace>-<secretRef.name>-credentials.yaml"; utils.go: the Authentication.
    assert names == sorted(["openshift-machine-api-aws-cloud-credentials-credentials.yaml",
                            "openshift-image-registry-installer-cloud-credentials-credentials.yaml",
                            "openshift-ingress-operator-cloud-credentials-credentials.yaml",
                            "openshift-cluster-csi-drivers-ebs-cloud-credentials-credentials.yaml",
                            "cluster-authentication-02-config.yaml"])
    ingress = (tmp_path / "manifests" / "openshift-ingress-operator-cloud-credentials-credentials.yaml").read_text()
    # create-iam-roles.go, secretManifestsTemplate, filled with the role ARN and provisioning.OidcTokenPath.
    assert ingress == (
        "apiVersion: v1\nstringData:\n  credentials: |-\n    [default]\n    sts_regional_endpoints = regional\n"
        "    role_arn = arn:aws:iam::123456789012:role/ocp4-x7k2q-openshift-ingress-operator-cloud-credentials\n"
        "    web_identity_token_file = /var/run/secrets/openshift/serviceaccount/token\n"
        "kind: Secret\nmetadata:\n  name: cloud-credentials\n  namespace: openshift-ingress-operator\ntype: Opaque")
    # utils.go, CreateClusterAuthentication's template.
    assert (tmp_path / "manifests" / "cluster-authentication-02-config.yaml").read_text() == (
        "apiVersion: config.openshift.io/v1\nkind: Authentication\nmetadata:\n  name: cluster\nspec:\n"
        "  serviceAccountIssuer: https://d111111abcdef8.cloudfront.net")
    assert all(os.stat(path).st_mode & 0o777 == 0o600 for path in written)  # ccoctl writes them 0600


def test_manifests_of_a_request_without_an_applied_role_write_nothing(config, tmp_path):
    state = {"outputs": {"issuer_url": {"value": "https://d111111abcdef8.cloudfront.net"},
                         "role_arns": {"value": {"openshift-ingress-operator/cloud-credentials": "arn:aws:iam::1:role/x"}}}}
    with pytest.raises(deploy.DeployError, match="has no role for openshift-machine-api/aws-cloud-credentials"):
        sts_manifests.write(tmp_path, sts_manifests.render(config, state))
    with pytest.raises(deploy.DeployError, match="is not applied"):
        sts_manifests.render(config, None)
    assert not (tmp_path / "manifests").exists()


# --------------------------------------------------------------------------- refusals


def test_a_request_that_cannot_be_honoured_is_refused_with_its_file_and_field(tmp_path):
    folder = tmp_path / "requests"
    shutil.copytree(FIXTURES / "credrequests", folder)
    (folder / "0000_60_gcp.yaml").write_text(
        "kind: CredentialsRequest\nmetadata: {name: gcp-only}\nspec:\n  providerSpec: {kind: GCPProviderSpec}\n")
    (folder / "0000_61_no_accounts.yaml").write_text(
        "kind: CredentialsRequest\nmetadata: {name: nobody}\nspec:\n  secretRef: {name: s, namespace: n}\n"
        "  providerSpec:\n    kind: AWSProviderSpec\n    statementEntries: [{effect: Allow, action: [s3:GetObject], "
        "resource: '*'}]\n")
    (folder / "0000_62_no_actions.yaml").write_text(
        "kind: CredentialsRequest\nmetadata: {name: idle}\nspec:\n  secretRef: {name: s2, namespace: n}\n"
        "  serviceAccountNames: [sa]\n  providerSpec:\n    kind: AWSProviderSpec\n"
        "    statementEntries: [{effect: Allow, action: [], resource: '*'}]\n")
    (folder / "0000_63_broken.yml").write_text("kind: CredentialsRequest\nmetadata: [unclosed\n")
    found = problems(folder)
    assert found == [
        "credentials.requests_dir: 0000_60_gcp.yaml, document 1 (gcp-only): spec.providerSpec.kind is "
        "\"GCPProviderSpec\"; expected AWSProviderSpec (extract the requests with --cloud=aws)",
        "credentials.requests_dir: 0000_61_no_accounts.yaml, document 1 (nobody): spec.serviceAccountNames is missing "
        "or empty; expected the service accounts that assume the role (a role no service account can assume grants "
        "nothing)",
        "credentials.requests_dir: 0000_62_no_actions.yaml, document 1 (idle): "
        "spec.providerSpec.statementEntries[0].action is missing or empty; expected a list of IAM actions",
        "credentials.requests_dir: 0000_63_broken.yml: not valid YAML at line 3"]


def test_a_refused_request_stops_synthesis_before_anything_is_written(tmp_path, monkeypatch, capsys):
    import main

    folder = tmp_path / "requests"
    shutil.copytree(FIXTURES / "credrequests", folder)
    (folder / "0000_60_gcp.yaml").write_text(
        "kind: CredentialsRequest\nmetadata: {name: gcp-only}\nspec:\n  providerSpec: {kind: GCPProviderSpec}\n")
    document = variant(credentials={**STS, "requests_dir": str(folder)})
    (tmp_path / "cluster.json").write_text(json.dumps(document))
    env = {"OCP_CLUSTER_CONFIG": str(tmp_path / "cluster.json"), "CDKTF_OUTDIR": str(tmp_path / "out")}
    assert main.main(["synth"], env) == main.INVALID_CONFIG
    assert "0000_60_gcp.yaml, document 1 (gcp-only): spec.providerSpec.kind" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_private_key_is_refused_and_never_read_further(tmp_path):
    key = tmp_path / "serviceaccount-signer.private"
    key.write_text("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n")
    found = problems(FIXTURES / "credrequests", public_key=str(key))
    assert found == [f"credentials.public_key: {key} holds a private key; expected the public key only "
                     "(serviceaccount-signer.public)"]


def test_cloudfront_hosting_is_refused_outside_the_aws_partition():
    from conftest import GOV_AZS

    try:
        parse_config(variant(region="us-gov-west-1", availability_zones=GOV_AZS, publish="Internal", credentials=STS))
    except ConfigError as error:
        assert error.problems == ["credentials.issuer_hosting: 'cloudfront' is not available in the aws-us-gov "
                                  "partition for the issuer; expected 'public_bucket'"]
    else:
        raise AssertionError("CloudFront hosting accepted in GovCloud")
    parse_config(variant(region="us-gov-west-1", availability_zones=GOV_AZS, publish="Internal",
                         credentials={**STS, "issuer_hosting": "public_bucket"}))


def test_two_requests_for_one_secret_are_refused(tmp_path):
    folder = tmp_path / "requests"
    shutil.copytree(FIXTURES / "credrequests", folder)
    text = (folder / "0000_50_cluster-ingress-operator_00-ingress-credentials-request.yaml").read_text()
    (folder / "0000_99_copy.yaml").write_text(text.split("---")[0].replace("name: openshift-ingress\n",
                                                                            "name: openshift-ingress-copy\n"))
    found = problems(folder)
    assert len(found) == 2 and all("openshift-ingress-copy" in p and "expected one role and one Secret" in p
                                   for p in found)


# --------------------------------------------------------------------------- the tier


def test_the_tier_makes_one_role_per_request_behind_cloudfront(synthesized):
    stack = synthesized.stack("sts", "credentials")
    roles = stack["resource"]["aws_iam_role"]["operator"]
    config = synthesized.configs["sts"]
    assert roles["for_each"] == {r.key: {"role_name": r.role_name(INFRA), "subjects": r.subjects(),
                                         "policy": r.policy_document()} for r in config.credentials.requests}
    assert "Federated = aws_iam_openid_connect_provider.issuer.arn" in roles["assume_role_policy"]
    assert roles["tags"] == {"openshift.io/cloud-credential-operator/ocp4-x7k2q": "owned", "Name": INFRA}
    provider = stack["resource"]["aws_iam_openid_connect_provider"]["issuer"]
    assert sorted(provider["client_id_list"]) == ["openshift", "sts.amazonaws.com"]
    assert stack["locals"]["issuer_url"] == "https://${aws_cloudfront_distribution.issuer.domain_name}"
    access = stack["resource"]["aws_s3_bucket_public_access_block"]["oidc"]
    assert all(access[key] is True for key in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                               "restrict_public_buckets"))
    policy = json.loads(stack["resource"]["aws_s3_bucket_policy"]["oidc"]["policy"])
    assert [s.get("Principal") for s in policy["Statement"]] == ["*", {"Service": "cloudfront.amazonaws.com"}]
    assert policy["Statement"][0]["Effect"] == "Deny"  # the TLS-only statement; the reader is CloudFront only
    assert stack["terraform"]["backend"]["s3"]["key"] == "ocp-upi-tf/ocp4/credentials/terraform.tfstate"


def test_a_public_bucket_issuer_is_ccoctls_url_and_policy(synthesized):
    stack = synthesized.stack("existing", "credentials")
    # create_identity_provider.go: https://<name>-oidc.s3.<region>.<dns suffix>, objects public-read.
    assert stack["locals"]["issuer_url"] == "https://ocp4-x7k2q-oidc.s3.us-east-1.amazonaws.com"
    assert "aws_cloudfront_distribution" not in stack["resource"]
    policy = json.loads(stack["resource"]["aws_s3_bucket_policy"]["oidc"]["policy"])
    assert policy["Statement"][1] == {"Sid": "AllowReadPublicAccess", "Effect": "Allow", "Principal": "*",
                                      "Action": "s3:GetObject", "Resource": [
                                          "arn:aws:s3:::ocp4-x7k2q-oidc/.well-known/openid-configuration",
                                          "arn:aws:s3:::ocp4-x7k2q-oidc/keys.json"]}
    access = stack["resource"]["aws_s3_bucket_public_access_block"]["oidc"]
    assert (access["block_public_acls"], access["block_public_policy"]) == (True, False)
    role = stack["resource"]["aws_iam_role"]["operator"]
    assert role["permissions_boundary"] == "arn:aws:iam::123456789012:policy/ocp-boundary"
    assert role["path"] == "/openshift/"


def test_no_credentials_block_no_tier(synthesized):
    assert not synthesized.stack_dir("default", "credentials").exists()


# --------------------------------------------------------------------------- the review


def test_a_widened_grant_and_a_changed_trust_are_attention_items():
    before_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:CreateGrant"], "Resource": "*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}}}]}
    after_policy = copy.deepcopy(before_policy)
    del after_policy["Statement"][0]["Condition"]
    items = attention_for("aws_iam_role_policy.operator[\"ns/s\"]", "aws_iam_role_policy", "update",
                          {"policy": json.dumps(before_policy)}, {"policy": json.dumps(after_policy)})
    assert items == ["`aws_iam_role_policy.operator[\"ns/s\"]`: IAM grants added: `kms:CreateGrant on *`"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
             "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/x"},
             "Condition": {"StringEquals": {"x:sub": ["system:serviceaccount:ns:a"]}}}]}
    widened = copy.deepcopy(trust)
    widened["Statement"][0]["Condition"]["StringEquals"]["x:sub"].append("system:serviceaccount:ns:b")
    items = attention_for("aws_iam_role.operator[\"ns/s\"]", "aws_iam_role", "update",
                          {"assume_role_policy": json.dumps(trust)}, {"assume_role_policy": json.dumps(widened)})
    assert any("the trust policy changes (who may assume the role)" in item and "system:serviceaccount:ns:b" in item
               for item in items), items
    same = attention_for("aws_iam_role.operator[\"ns/s\"]", "aws_iam_role", "update",
                         {"assume_role_policy": json.dumps(trust)}, {"assume_role_policy": json.dumps(trust)})
    assert same == []


def test_a_bucket_policy_opened_to_everyone_or_losing_a_deny_is_under_attention():
    arn = "arn:aws:s3:::ocp4-x7k2q-oidc/*"
    tls = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": arn,
           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": arn,
            "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]}}
    before = {"policy": json.dumps({"Version": "2012-10-17", "Statement": [tls, read]})}
    # The same document again: a principal list is compared as it is, not read as a pattern.
    assert attention_for("aws_s3_bucket_policy.oidc", "aws_s3_bucket_policy", "update", before, before) == []
    public = {**read, "Principal": "*"}
    after = {"policy": json.dumps({"Version": "2012-10-17", "Statement": [public]})}
    items = attention_for("aws_s3_bucket_policy.oidc", "aws_s3_bucket_policy", "update", before, after)
    assert items[0].startswith("`aws_s3_bucket_policy.oidc`: IAM grants added: `s3:GetObject on "
                               "arn:aws:s3:::ocp4-x7k2q-oidc/* to \"*\"`")
    assert items[1].startswith("`aws_s3_bucket_policy.oidc`: Deny statements removed: ") and "SecureTransport" in items[1]
    # NotAction allows everything but what it names: as wide as "*".
    wide = {"policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})}
    narrow = {"policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]})}
    assert attention_for("aws_iam_role_policy.x", "aws_iam_role_policy", "update", narrow, wide) == [
        "`aws_iam_role_policy.x`: IAM grants added: `* on *`"]
