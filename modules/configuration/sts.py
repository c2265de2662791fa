"""Short-term credentials (manual mode with AWS STS), as data: what `ccoctl aws create-all` makes.

The cluster's operators get no IAM users: each CredentialsRequest of the release
(`oc adm release extract --credentials-requests --cloud=aws`) becomes an IAM role
that the operator's service accounts assume with their projected token, trusted
through an OIDC issuer whose discovery document and key set the cluster's
service-account signing key backs. This module reads the requests and the public
key and renders every document the credentials tier and `main.py sts-manifests`
write, exactly as ccoctl renders them (openshift/cloud-credential-operator,
pkg/cmd/provisioning/: utils.go, constants.go, aws/create-iam-roles.go,
aws/create_identity_provider.go), so a cluster set up with either is the same.

Nothing here reads or keeps the private key: only the public key is an input.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Mapping

import yaml

from .canonical import canonical_json

# Every constant below is ccoctl's (openshift/cloud-credential-operator, pkg/cmd/provisioning/), with
# the file and line it comes from in the newest copy of each file that could be read here: utils.go at
# b4c932d9f, aws/create-iam-roles.go at b75f97581, aws/create_identity_provider.go at 54782d1e3.
# constants.go is cited by constant name only: the one copy readable here predates d3ce03b5c, so its
# line numbers would be an older branch's.
#
# Which requests ccoctl leaves out: utils.go:137-152, GetListOfCredentialsRequests. A request whose
# release.openshift.io/delete is "true" (:137), and one that carries the tech-preview annotation with
# any value unless --enable-tech-preview (:143-147), or, with it, with a value other than
# TechPreviewNoUpgrade (:148-151). The annotation is the constant featureGateAnnotation, whose value
# cloud-credential-operator d3ce03b5c ("update to release.openshift.io/feature-set to match OCP 4.12",
# 2022-09-08) changed from release.openshift.io/feature-gate to the key below.
FEATURE_SET_ANNOTATION = "release.openshift.io/feature-set"
TECH_PREVIEW_FEATURE_SET = "TechPreviewNoUpgrade"  # utils.go:148, configv1.TechPreviewNoUpgrade
DELETE_ANNOTATION = "release.openshift.io/delete"  # utils.go:137, skipped when its value is "true"
# The key ccoctl read up to release-4.11, when it held a feature set. Releases since 4.12 mark tech
# preview with the key above and put feature gates' names here (cluster-capi-operator's Cluster API
# request: "ClusterAPIMachineManagement,ClusterAPIMachineManagementAWS"). ccoctl's master ignores the
# key; we read it as release-4.11's ccoctl did only when it holds a feature set's name (a 4.11-era
# request), which can only leave a role out, never add one (docs/credentials.md).
LEGACY_FEATURE_GATE_ANNOTATION = "release.openshift.io/feature-gate"
FEATURE_SETS = ("TechPreviewNoUpgrade", "CustomNoUpgrade", "DevPreviewNoUpgrade")  # openshift/api, config/v1 FeatureSet
# constants.go, OidcTokenPath (used at aws/create-iam-roles.go:344)
TOKEN_FILE = "/var/run/secrets/openshift/serviceaccount/token"
CLIENT_IDS = ("openshift", "sts.amazonaws.com")  # aws/create_identity_provider.go:343-344, ClientIDList
# constants.go, DiscoveryDocumentURI (uploaded at aws/create_identity_provider.go:420)
DISCOVERY_KEY = ".well-known/openid-configuration"
JWKS_KEY = "keys.json"  # constants.go, KeysURI (aws/create_identity_provider.go:396)
MAX_ROLE_NAME = 64  # aws/create-iam-roles.go:104-105, roleName[0:64] (IAM's limit; cut, no hash)
# aws/create_identity_provider.go:220 and :222 (ccoctlAWSResourceTagKeyPrefix, ownedCcoctlAWSResourceTagValue);
# the tag is "<prefix>/<name>" = owned (aws/create-iam-roles.go:193).
OWNER_TAG_PREFIX = "openshift.io/cloud-credential-operator"
AUTHENTICATION_MANIFEST = "cluster-authentication-02-config.yaml"  # utils.go:71, CreateClusterAuthentication
MANIFESTS_DIR = "manifests"  # constants.go, ManifestsDirName (utils.go:71, aws/create-iam-roles.go:339)


class IssuerHosting(str, Enum):
    """Where the issuer's two documents are served from (ccoctl's --create-private-s3-bucket or not)."""

    CLOUDFRONT = "cloudfront"  # a private bucket behind a CloudFront distribution: nothing public but HTTPS
    PUBLIC_BUCKET = "public_bucket"  # the two objects public-read in the bucket


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resource: str
    condition: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CredentialsRequest:
    """One CredentialsRequest: who asks (service accounts), for what (statements), into which Secret."""

    name: str  # metadata.name
    namespace: str  # metadata.namespace
    secret_name: str
    secret_namespace: str
    service_accounts: tuple[str, ...]
    statements: tuple[Statement, ...]
    source: str  # "<file>, document <n>": where it came from, for messages

    @property
    def key(self) -> str:
        """The request's stable key in the tier (its Secret): `<namespace>/<secret name>`."""
        return f"{self.secret_namespace}/{self.secret_name}"

    def role_name(self, prefix: str) -> str:
        """`<prefix>-<secret namespace>-<secret name>`, cut to 64 characters (aws/create-iam-roles.go:90, :104-105)."""
        return f"{prefix}-{self.secret_namespace}-{self.secret_name}"[:MAX_ROLE_NAME]

    def subjects(self) -> list[str]:
        return [f"system:serviceaccount:{self.secret_namespace}:{account}" for account in self.service_accounts]

    def policy_document(self) -> str:
        """The role's inline policy: ccoctl's PolicyDocument, marshalled compact, Condition left out when empty."""
        statements = []
        for s in self.statements:
            entry: dict[str, Any] = {"Effect": s.effect, "Action": list(s.actions), "Resource": s.resource}
            if s.condition:
                entry["Condition"] = _sorted(s.condition)  # Go marshals map keys sorted
            statements.append(entry)
        return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))

    def secret_manifest(self, role_arn: str) -> str:
        """`<namespace>-<secret name>-credentials.yaml`, as ccoctl's secretManifestsTemplate writes it
        (aws/create-iam-roles.go:27-38, the file name :341, mode 0600 :353)."""
        return (f"apiVersion: v1\nstringData:\n  credentials: |-\n    [default]\n    sts_regional_endpoints = regional\n"
                f"    role_arn = {role_arn}\n    web_identity_token_file = {TOKEN_FILE}\nkind: Secret\nmetadata:\n"
                f"  name: {self.secret_name}\n  namespace: {self.secret_namespace}\ntype: Opaque")

    @property
    def secret_file(self) -> str:
        return f"{self.secret_namespace}-{self.secret_name}-credentials.yaml"


@dataclass(frozen=True)
class PublicKey:
    """An RSA public key of the service-account signer, as the JWKS publishes it."""

    kid: str  # base64url(SHA-256(SubjectPublicKeyInfo DER)), no padding: KeyIDFromPublicKey
    n: str  # base64url modulus, big-endian, no leading zero byte
    e: str

    def jwk(self) -> dict[str, str]:
        # go-jose's field order: use, kty, kid, alg, n, e.
        return {"use": "sig", "kty": "RSA", "kid": self.kid, "alg": "RS256", "n": self.n, "e": self.e}


@dataclass(frozen=True)
class Credentials:
    """The `credentials` configuration block, read: paths as given, and what they hold."""

    requests_dir: str
    public_key: str
    previous_public_keys: tuple[str, ...] = ()
    issuer_hosting: IssuerHosting = IssuerHosting.CLOUDFRONT
    enable_tech_preview: bool = False
    requests: tuple[CredentialsRequest, ...] = ()
    keys: tuple[PublicKey, ...] = ()  # the current key first, then the ones still served during a rotation
    skipped: tuple[str, ...] = ()  # "<file>, document <n> (<name>): <why>" for each request left out

    def to_document(self) -> dict[str, Any]:
        return {"requests_dir": self.requests_dir, "public_key": self.public_key,
                "previous_public_keys": list(self.previous_public_keys), "issuer_hosting": self.issuer_hosting.value,
                "enable_tech_preview": self.enable_tech_preview}

    def jwks(self) -> str:
        """keys.json: json.MarshalIndent(..., "", "    ") of the key set, no trailing newline (utils.go:95)."""
        return json.dumps({"keys": [key.jwk() for key in self.keys]}, indent=4)


def discovery_document(issuer_url: str) -> str:
    """`.well-known/openid-configuration`, ccoctl's DiscoveryDocumentTemplate (constants.go; filled at
    aws/create_identity_provider.go:409) to the byte (its mixed tab and space indentation, and "sub"
    twice, included)."""
    return ("{\n\t\"issuer\": \"%s\",\n\t\"jwks_uri\": \"%s/%s\",\n"
            "    \"response_types_supported\": [\n        \"id_token\"\n    ],\n"
            "    \"subject_types_supported\": [\n        \"public\"\n    ],\n"
            "    \"id_token_signing_alg_values_supported\": [\n        \"RS256\"\n    ],\n"
            "    \"claims_supported\": [\n        \"aud\",\n        \"exp\",\n        \"sub\",\n        \"iat\",\n"
            "        \"iss\",\n        \"sub\"\n    ]\n}") % (issuer_url, issuer_url, JWKS_KEY)


def authentication_manifest(issuer_url: str) -> str:
    """cluster-authentication-02-config.yaml (utils.go:64-69, CreateClusterAuthentication)."""
    return (f"apiVersion: config.openshift.io/v1\nkind: Authentication\nmetadata:\n  name: cluster\nspec:\n"
            f"  serviceAccountIssuer: {issuer_url}")


def trust_policy(provider_arn: str, issuer_host: str, request: CredentialsRequest) -> str:
    """The role's trust policy: web identity from the provider, `<issuer host>:sub` one of the request's
    service accounts (aws/create-iam-roles.go:25 and :246-262, as a canonical document)."""
    return canonical_json({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{issuer_host}:sub": request.subjects()}}}]})


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


# --------------------------------------------------------------------------- reading


def read_public_key(path: Path) -> tuple[PublicKey | None, str | None]:
    """The RSA public key in a PEM file (one "PUBLIC KEY" block, as ccoctl create-key-pair writes it)."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        return None, f"cannot read {path}: {getattr(error, 'strerror', None) or error}"
    if "PRIVATE KEY" in text:
        # Refused before anything could copy it: the private key never enters this project.
        return None, f"{path} holds a private key; expected the public key only (serviceaccount-signer.public)"
    blocks = re.findall(r"-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----", text)
    if len(blocks) != 1 or text.count("-----BEGIN") != 1:
        return None, f"{path} is not one PEM \"PUBLIC KEY\" block"
    try:
        der = base64.b64decode("".join(blocks[0].split()), validate=True)
        n, e = _rsa_public_numbers(der)
    except (ValueError, IndexError):
        return None, f"{path} is not an RSA public key (SubjectPublicKeyInfo)"
    kid = _b64url(hashlib.sha256(der).digest())
    return PublicKey(kid, _b64url(_unsigned(n)), _b64url(_unsigned(e))), None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(number: int) -> bytes:
    return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")


RSA_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1 rsaEncryption


def _der(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at `at`."""
    tag, length, at = data[at], data[at + 1], at + 2
    if length & 0x80:
        size = length & 0x7F
        length, at = int.from_bytes(data[at:at + size], "big"), at + size
    if at + length > len(data):
        raise ValueError("truncated")
    return tag, at, at + length


def _rsa_public_numbers(spki: bytes) -> tuple[int, int]:
    """(n, e) of an RSA SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OID, NULL }, BIT STRING { SEQUENCE { n, e } } }."""
    tag, start, end = _der(spki, 0)
    if tag != 0x30 or end != len(spki):
        raise ValueError("not a SEQUENCE")
    tag, alg_start, alg_end = _der(spki, start)
    oid_tag, oid_start, oid_end = _der(spki, alg_start)
    if tag != 0x30 or oid_tag != 0x06 or spki[oid_start:oid_end] != RSA_OID:
        raise ValueError("not RSA")
    tag, bits_start, bits_end = _der(spki, alg_end)
    if tag != 0x03 or spki[bits_start] != 0:
        raise ValueError("not a BIT STRING")
    tag, seq_start, _ = _der(spki, bits_start + 1)
    n_tag, n_start, n_end = _der(spki, seq_start)
    e_tag, e_start, e_end = _der(spki, n_end)
    if tag != 0x30 or n_tag != 0x02 or e_tag != 0x02:
        raise ValueError("not an RSA key")
    return int.from_bytes(spki[n_start:n_end], "big"), int.from_bytes(spki[e_start:e_end], "big")


def read_requests(folder: Path, prefix: str, *, tech_preview: bool, problems: list[str],
                  skipped: list[str] | None = None) -> tuple[CredentialsRequest, ...]:
    """The CredentialsRequests in `folder`'s *.yaml and *.yml files (not below it), documents in file
    order, skipped as ccoctl skips them (marked for deletion; tech preview unless asked), each skip
    added to `skipped` with its reason, as ccoctl logs it. A request that cannot be honoured adds a
    problem naming its file and field."""
    skipped = [] if skipped is None else skipped
    where = "credentials.requests_dir"
    if not folder.is_dir():
        problems.append(f"{where}: {str(folder)!r} is not a folder; expected the output of "
                        "`oc adm release extract --credentials-requests --cloud=aws`")
        return ()
    requests: list[CredentialsRequest] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml")):
        try:
            documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            mark = getattr(error, "problem_mark", None)
            at = f" at line {mark.line + 1}" if mark else ""
            problems.append(f"{where}: {path.name}: not valid YAML{at}")
            continue
        for number, document in enumerate(documents, 1):
            request = _request(document, f"{path.name}, document {number}", tech_preview, problems, skipped)
            if request is not None:
                requests.append(request)
    if not requests and not problems:
        problems.append(f"{where}: {str(folder)!r} holds no CredentialsRequest for AWS; expected the output of "
                        "`oc adm release extract --credentials-requests --cloud=aws`")
    seen: dict[str, CredentialsRequest] = {}
    for request in requests:
        for other, label in ((seen.get(request.role_name(prefix)), "role name"), (seen.get(request.key), "Secret")):
            if other is not None:
                problems.append(f"{where}: {request.source}: the {label} of {request.name} is also {other.name}'s "
                                f"({other.source}); expected one role and one Secret per request")
        seen.setdefault(request.role_name(prefix), request)
        seen.setdefault(request.key, request)
    return tuple(requests)


def skip_reason(annotations: Mapping[str, Any], tech_preview: bool) -> str | None:
    """Why ccoctl would make no role for a request with these annotations, or None when it would.

    As ccoctl's master: marked for deletion; or carrying the feature-set annotation (any value)
    without tech preview enabled, or with a value other than TechPreviewNoUpgrade. Besides, a
    4.11-era request (the feature-gate key holding a feature set's name) is read the same way."""
    if annotations.get(DELETE_ANNOTATION) == "true":
        return f"{DELETE_ANNOTATION}: \"true\" (the release deletes it)"
    for key in (FEATURE_SET_ANNOTATION, LEGACY_FEATURE_GATE_ANNOTATION):
        if key not in annotations or (key == LEGACY_FEATURE_GATE_ANNOTATION and annotations[key] not in FEATURE_SETS):
            continue
        value = annotations[key]
        if not tech_preview:
            return f"{key}: {value} (a feature set's request; credentials.enable_tech_preview is false)"
        if value != TECH_PREVIEW_FEATURE_SET:
            return f"{key}: {value} (only {TECH_PREVIEW_FEATURE_SET} requests are made with tech preview)"
    return None


def _request(document: Any, source: str, tech_preview: bool, problems: list[str],
             skipped: list[str]) -> CredentialsRequest | None:
    def bad(field_path: str, what: str) -> None:
        problems.append(f"credentials.requests_dir: {source}: {field_path} {what}")

    if not isinstance(document, Mapping) or document.get("kind") != "CredentialsRequest":
        bad("kind", f"is {json.dumps(document.get('kind') if isinstance(document, Mapping) else None)}; "
                    "expected CredentialsRequest")
        return None
    metadata = document.get("metadata") if isinstance(document.get("metadata"), Mapping) else {}
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), Mapping) else {}
    # Kubernetes (and ccoctl's decoder) reads annotations as strings: an unquoted YAML `true` is not one.
    strings = [key for key, value in annotations.items() if not isinstance(value, str)]
    for key in strings:
        bad(f"metadata.annotations[{json.dumps(key)}]", f"is {json.dumps(annotations[key])}, not a string; "
                                                        "expected a quoted value, as Kubernetes reads annotations")
    if strings:
        return None
    reason = skip_reason(annotations, tech_preview)
    if reason is not None:
        skipped.append(f"{source} ({metadata.get('name')}): {reason}")
        return None
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        bad("metadata.name", "is missing; expected the request's name")
        return None
    source = f"{source} ({name})"
    spec = document.get("spec") if isinstance(document.get("spec"), Mapping) else {}
    provider = spec.get("providerSpec") if isinstance(spec.get("providerSpec"), Mapping) else {}
    if provider.get("kind") != "AWSProviderSpec":
        bad("spec.providerSpec.kind", f"is {json.dumps(provider.get('kind'))}; expected AWSProviderSpec "
                                      "(extract the requests with --cloud=aws)")
        return None
    secret = spec.get("secretRef") if isinstance(spec.get("secretRef"), Mapping) else {}
    ok = True
    for key in ("name", "namespace"):
        value = secret.get(key)
        if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?", value):
            bad(f"spec.secretRef.{key}", f"is {json.dumps(value)}; expected a Kubernetes object name")
            ok = False
    accounts = spec.get("serviceAccountNames")
    if not isinstance(accounts, list) or not accounts or not all(isinstance(a, str) and a for a in accounts):
        bad("spec.serviceAccountNames", "is missing or empty; expected the service accounts that assume the role "
                                        "(a role no service account can assume grants nothing)")
        ok = False
    entries = provider.get("statementEntries")
    if not isinstance(entries, list) or not entries:
        bad("spec.providerSpec.statementEntries", "is missing or empty; expected the permissions the role grants")
        return None
    statements = []
    for index, entry in enumerate(entries):
        path = f"spec.providerSpec.statementEntries[{index}]"
        entry = entry if isinstance(entry, Mapping) else {}
        actions, effect, resource = entry.get("action"), entry.get("effect"), entry.get("resource")
        condition = entry.get("policyCondition")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, str) and a for a in actions):
            bad(f"{path}.action", "is missing or empty; expected a list of IAM actions")
            ok = False
        if effect not in ("Allow", "Deny"):
            bad(f"{path}.effect", f"is {json.dumps(effect)}; expected Allow or Deny")
            ok = False
        if not isinstance(resource, str) or not resource:
            bad(f"{path}.resource", f"is {json.dumps(resource)}; expected a resource ARN or *")
            ok = False
        if condition is not None and not isinstance(condition, Mapping):
            bad(f"{path}.policyCondition", "is not a mapping; expected IAM condition operators and keys")
            ok = False
        if ok:
            statements.append(Statement(effect, tuple(actions), resource, dict(condition) if condition else None))
    if not ok:
        return None
    return CredentialsRequest(name, str(metadata.get("namespace") or ""), secret["name"], secret["namespace"],
                              tuple(accounts), tuple(statements), source)
