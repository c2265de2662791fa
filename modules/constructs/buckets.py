"""A private S3 bucket: encrypted, closed to the public, ACLs off, reachable over TLS only.

Used for the tiers' state and for the bootstrap machine's Ignition file; both
hold secrets.
"""
from __future__ import annotations

from typing import Any

# Nested blocks always go in as the bindings' struct classes: jsii silently drops
# the multi-word keys of a plain dict (`{"object_ownership": ...}` renders as `{}`).
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA as S3BucketEncryption,
    S3BucketServerSideEncryptionConfigurationRuleA as EncryptionRule,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA as EncryptionDefault,
)

from ..configuration.canonical import canonical_json
from ..configuration.regions import Partition

from .cdk import Construct, TerraformResourceLifecycle, Token
from .hcl import Expr, Flag, interpolate, negate, new
from .waivers import waive

# Static-check findings (checkov) every bucket made here accepts, and why.
WAIVERS = {
    "CKV_AWS_18": "Access logs need a second bucket (ideally in another account); API calls to the bucket are in "
                  "CloudTrail.",
    "CKV2_AWS_62": "Nothing consumes events of these buckets.",
    "CKV2_AWS_61": "A lifecycle rule would expire state versions, which are what a restore copies back.",
    "CKV_AWS_144": "Replication needs a second region and bucket that only the operator can choose.",
}
SSE_S3_WAIVER = ("CKV_AWS_145", "SSE-S3 unless a customer-managed key is given: a KMS key is one more thing that can "
                                "lock operators out of their data, so it is the operator's choice.")


def tls_only_statement(bucket_arn: str) -> dict[str, Any]:
    """The statement that refuses any request not made over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def tls_only_policy(bucket_arn: str, *more: dict[str, Any]) -> str:
    """Bucket policy that refuses any request not made over TLS, with `more` statements after it."""
    return canonical_json({"Version": "2012-10-17", "Statement": [tls_only_statement(bucket_arn), *more]})


def sse_algorithm(kms_key_arn: str | Expr | None) -> str:
    """S3's server-side encryption with `kms_key_arn` when given, else with S3's own keys."""
    if isinstance(kms_key_arn, Expr):
        return f'${{{kms_key_arn} == null ? "AES256" : "aws:kms"}}'
    return "AES256" if kms_key_arn is None else "aws:kms"


class PrivateBucket(Construct):
    """`aws_s3_bucket.<name>` and the resources that lock it down, all named `<name>`."""

    def __init__(self, scope: Construct, name: str, bucket_name: str, partition: Partition, *,
                 lifecycle: TerraformResourceLifecycle | None = None, kms_key_arn: str | Expr | None = None,
                 policy: bool = True, public_policy: Flag = False):
        """`kms_key_arn`: SSE-KMS with that key (a module's variable: when it is not null); else SSE-S3.
        `policy`: False when the caller writes the bucket's policy (with `tls_only_statement` first);
        `public_policy`: that policy may grant public reads (ACLs stay blocked)."""
        super().__init__(scope, f"bucket_{name}")
        self.bucket = new(S3Bucket, self, name, bucket=bucket_name, force_destroy=False, lifecycle=lifecycle,
                          tags={"Name": bucket_name})
        for check_id, reason in WAIVERS.items():
            waive(self.bucket, check_id, reason)
        if kms_key_arn is None or isinstance(kms_key_arn, Expr):  # a module: the key may be null
            waive(self.bucket, *SSE_S3_WAIVER)
        self.sse_algorithm = sse_algorithm(kms_key_arn)
        new(S3BucketEncryption, self, f"encryption.{name}", bucket=self.bucket.id, rule=[EncryptionRule(
            apply_server_side_encryption_by_default=EncryptionDefault(
                sse_algorithm=self.sse_algorithm,
                kms_master_key_id=None if kms_key_arn is None else interpolate(kms_key_arn)),
            bucket_key_enabled=True)])
        new(S3BucketOwnershipControls, self, f"ownership.{name}", bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"))
        closed = Token.as_any(f"${{{negate(public_policy)}}}") if isinstance(public_policy, Expr) else not public_policy
        self.public_access = new(
            S3BucketPublicAccessBlock, self, f"public_access.{name}", bucket=self.bucket.id, block_public_acls=True,
            block_public_policy=closed, ignore_public_acls=True, restrict_public_buckets=closed)
        self.arn = partition.arn("s3", bucket_name)
        if policy:
            new(S3BucketPolicy, self, f"policy.{name}", bucket=self.bucket.id, policy=tls_only_policy(self.arn),
                depends_on=[self.public_access])
