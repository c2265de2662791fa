"""Credentials tier: the cluster's OIDC issuer and one IAM role per CredentialsRequest (manual mode, AWS STS).

What `ccoctl aws create-all` makes with imperative calls, as a tier with its own
state, plan and review (configuration/sts.py renders the documents):
- a private bucket `<infra_id>-oidc` holding the issuer's discovery document and
  key set; behind a CloudFront distribution by default (only HTTPS is public: the
  bucket is reachable through the distribution's origin access control), or, with
  `issuer_hosting: public_bucket`, the two objects public-read (ccoctl's default);
- the IAM OIDC provider for the issuer URL, with ccoctl's client IDs;
- per request, a role named as ccoctl names it, trusting web identities from that
  provider whose `sub` is one of the request's service accounts, with the
  request's statements as its inline policy, the permissions boundary and path of
  every role the project creates, and ccoctl's ownership tags.

The private signing key is never an input: the installer gets it from ccoctl's
key pair (docs/credentials.md). `main.py sts-manifests` writes the
Secrets and the Authentication config from this tier's outputs.
"""
from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktf_cdktf_provider_aws.cloudfront_origin_access_control import CloudfrontOriginAccessControl
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_object import S3Object

from ..configuration.sts import CLIENT_IDS, DISCOVERY_KEY, JWKS_KEY, OWNER_TAG_PREFIX, discovery_document
from ..configuration.topology import Tier
from ..constructs.buckets import PrivateBucket, tls_only_policy
from ..constructs.cdk import Construct
from ..constructs.hcl import address, attribute, interpolate, local_value, negate, new, optional_count, rows_where
from ..constructs.waivers import waive
from .base import TierStack
from .inputs import InputSource

ISSUER = "issuer"
# AWS's managed cache policy "CachingDisabled", as ccoctl sets it: a rotated key set is served at once.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
DISTRIBUTION_WAIVERS = {
    "CKV_AWS_68": "A WAF in front of two static public documents buys nothing; AWS STS is their reader.",
    "CKV_AWS_86": "Access logs need a logging bucket the operator chooses; the documents are public by design.",
    "CKV_AWS_174": "The default CloudFront certificate (no alias) fixes the TLS policy; STS fetches over TLS 1.2.",
    "CKV_AWS_310": "One origin, as ccoctl has it: the issuer is read when tokens are exchanged, and cached by STS.",
    "CKV_AWS_305": "No root object: only /.well-known/openid-configuration and /keys.json are read.",
    "CKV2_AWS_32": "Response headers matter to browsers; the issuer's only reader is AWS STS.",
    "CKV2_AWS_42": "The issuer URL is the distribution's own name: no custom domain, no certificate to manage.",
    "CKV2_AWS_47": "No WAF (CKV_AWS_68): there is no application behind the distribution to exploit.",
    "CKV_AWS_374": "The issuer's reader is AWS STS, from every region: a geo restriction could only lock it out.",
}


class CredentialsStack(TierStack):
    tier = Tier.CREDENTIALS

    def __init__(self, scope: Construct, source: InputSource):
        super().__init__(scope, source)
        inputs = self.inputs
        credentials = inputs.credentials
        assert credentials is not None, "the credentials tier is built only for a `credentials` block"
        self.tags = {f"{OWNER_TAG_PREFIX}/{inputs.infra_id}": "owned", "Name": inputs.infra_id}
        self.locals = Construct(self, "locals")  # apart: `issuer_url` is an output's name too
        bucket_name = f"{inputs.infra_id}-oidc"
        cloudfront = credentials.cloudfront
        self.bucket = PrivateBucket(self, "oidc", bucket_name, inputs.partition, policy=False,
                                    public_policy=negate(cloudfront))
        waive(self.bucket.bucket, "CKV_AWS_21", "The two documents are rendered from the configuration on every "
                                               "apply; a version history would only keep retired keys around.")
        self._issuer_url(bucket_name, cloudfront)
        for key, body in ((DISCOVERY_KEY, discovery_document("${local.issuer_url}")), (JWKS_KEY, credentials.jwks)):
            new(S3Object, self, f"document.{'discovery' if key == DISCOVERY_KEY else 'jwks'}",
                bucket=self.bucket.bucket.id, key=key, content=body, content_type="application/json",
                server_side_encryption="AES256", tags=self.tags)
        self._bucket_policies(cloudfront)
        provider = new(IamOpenidConnectProvider, self, f"provider.{ISSUER}", url="${local.issuer_url}",
                       client_id_list=list(CLIENT_IDS), tags=self.tags)
        self._roles(provider)
        self.outputs({
            "issuer_url": ("${local.issuer_url}", "The cluster's service-account issuer (serviceAccountIssuer)."),
            "oidc_provider_arn": (provider.arn, "ARN of the IAM OIDC provider of the issuer."),
            "oidc_bucket": (self.bucket.bucket.bucket, "The bucket holding the issuer's two documents."),
            "role_arns": (f"${{ {{ for key, role in {address(self.roles)} : key => role.arn }} }}",
                          "ARN of each CredentialsRequest's role, keyed <secret namespace>/<secret name>."),
        })
        self.finish()

    def _issuer_url(self, bucket_name: str, cloudfront) -> None:
        """`local.issuer_url` and `local.issuer_host`: the distribution's https name, or the bucket's
        (ccoctl's `https://<bucket>.s3.<region>.<dns suffix>`)."""
        inputs = self.inputs
        public = f"https://{bucket_name}.s3.{inputs.region}.{inputs.partition.dns_suffix}"
        count = optional_count(cloudfront)
        self.distribution = None
        if count is None:
            url = public
        else:
            self.distribution = self._distribution(count)
            domain = attribute(self.distribution, "domain_name")
            if cloudfront is True:
                url = f"https://{domain}"
            else:  # a module: the parts as locals of their own (a token inside `${}` renders bare)
                # The distribution's name is null without one, and null cannot go into a template:
                # the template sits in the branch a conditional does not take then.
                local_value(self.locals, "issuer_domain_cloudfront", domain)
                local_value(self.locals, "issuer_url_bucket", public)
                url = f'${{{cloudfront} ? "https://${{local.issuer_domain_cloudfront}}" : local.issuer_url_bucket}}'
        local_value(self.locals, "issuer_url", url)
        # IAM keys a web identity's claims by the issuer without its scheme.
        local_value(self.locals, "issuer_host", '${trimprefix(local.issuer_url, "https://")}')

    def _distribution(self, count: dict) -> CloudfrontDistribution:
        inputs, bucket = self.inputs, self.bucket.bucket
        access = new(CloudfrontOriginAccessControl, self, f"access.{ISSUER}", name=f"{inputs.infra_id}-oidc",
                     description=f"{OWNER_TAG_PREFIX}/{inputs.infra_id}", origin_access_control_origin_type="s3",
                     signing_behavior="always", signing_protocol="sigv4", **count)
        distribution = new(
            CloudfrontDistribution, self, f"distribution.{ISSUER}", enabled=True, comment=f"{OWNER_TAG_PREFIX}/{inputs.infra_id}",
            origin=[CloudfrontDistributionOrigin(domain_name=bucket.bucket_regional_domain_name, origin_id="oidc",
                                                 origin_access_control_id=attribute(access, "id"))],
            default_cache_behavior=CloudfrontDistributionDefaultCacheBehavior(
                allowed_methods=["GET", "HEAD"], cached_methods=["GET", "HEAD"], target_origin_id="oidc",
                viewer_protocol_policy="https-only", cache_policy_id=CACHING_DISABLED),
            restrictions=CloudfrontDistributionRestrictions(
                geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(restriction_type="none")),
            viewer_certificate=CloudfrontDistributionViewerCertificate(cloudfront_default_certificate=True),
            tags=self.tags, **count)
        for check_id, reason in DISTRIBUTION_WAIVERS.items():
            waive(distribution, check_id, reason)
        return distribution

    def _bucket_policies(self, cloudfront) -> None:
        """TLS only, and reads: by the distribution (its origin access control), or by anyone for the
        two documents. A module has both, one with count 0."""
        inputs, arn = self.inputs, self.bucket.arn
        policies = {}
        if self.distribution is not None:
            policies["oidc"] = (optional_count(cloudfront), {
                "Sid": "AllowCloudFrontRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{arn}/*",
                "Principal": {"Service": inputs.partition.service_principal("cloudfront")},
                "Condition": {"StringEquals": {"AWS:SourceArn": attribute(self.distribution, "arn")}}})
        public = optional_count(negate(cloudfront))
        if public is not None:
            name = "oidc_public" if policies else "oidc"
            policies[name] = (public, {
                "Sid": "AllowReadPublicAccess", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": [f"{arn}/{DISCOVERY_KEY}", f"{arn}/{JWKS_KEY}"]})
            reason = ("With issuer_hosting: public_bucket, the issuer's two documents are public-read by design "
                      "(ccoctl's default; ACLs stay blocked); cloudfront, the default, keeps the bucket closed.")
            for check_id in ("CKV_AWS_70", "CKV2_AWS_6"):
                waive(self.bucket.bucket, check_id, reason)
            for check_id in ("CKV_AWS_54", "CKV_AWS_56"):
                waive(self.bucket.public_access, check_id, reason)
        for name, (count, statement) in policies.items():
            new(S3BucketPolicy, self, f"policy.{name}", bucket=self.bucket.bucket.id,
                policy=tls_only_policy(arn, statement), depends_on=[self.bucket.public_access], **count)

    def _roles(self, provider: IamOpenidConnectProvider) -> None:
        inputs = self.inputs
        rows = rows_where(self, "credentials_requests", True, inputs.credentials.requests)
        trust = ('${jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", '
                 f'Principal = {{ Federated = {address(provider)}.arn }}, Action = "sts:AssumeRoleWithWebIdentity", '
                 'Condition = { StringEquals = { "${local.issuer_host}:sub" = each.value.subjects } } }] })}')
        self.roles = new(IamRole, self, "operator", for_each=rows, name=rows.get_string("role_name"),
                         description='OpenShift role for ${each.key}', assume_role_policy=trust,
                         path=None if inputs.iam_path is None else interpolate(inputs.iam_path),
                         permissions_boundary=None if inputs.iam_permissions_boundary is None
                         else interpolate(inputs.iam_permissions_boundary), tags=self.tags)
        new(IamRolePolicy, self, "policy.operator", for_each=rows, name=rows.get_string("role_name"),
            role=f"${{{address(self.roles)}[each.key].id}}", policy=rows.get_string("policy"))
