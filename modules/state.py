"""State tier: the S3 bucket (and optional DynamoDB table) that hold every other tier's state.

Losing Terraform state is the worst failure this project can cause, so the
bucket is versioned (every state write can be rolled back), encrypted, closed
to the public, reachable over TLS only, and protected by `prevent_destroy`.
The stack itself keeps local state in its stack folder; README explains how to
migrate it into the bucket once the bucket exists.
"""
from __future__ import annotations

import json

# Nested blocks always go in as the bindings' struct classes: jsii silently drops
# the multi-word keys of a plain dict (`{"object_ownership": ...}` renders as `{}`).
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
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
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA as S3BucketVersioning,
    S3BucketVersioningVersioningConfiguration as VersioningConfiguration,
)

from .cdk import Construct, TerraformResourceLifecycle
from .config import ClusterConfig
from .tier import Tier, TierStack, new

PROTECTED = TerraformResourceLifecycle(prevent_destroy=True)


def tls_only_policy(bucket_arn: str) -> str:
    """Bucket policy that refuses any request not made over TLS (stable key order)."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }, sort_keys=True, separators=(",", ":"))


class StateStack(TierStack):
    def __init__(self, scope: Construct, config: ClusterConfig):
        super().__init__(scope, config, Tier.STATE, region=config.resolved_state_region)
        name = config.resolved_state_bucket
        bucket = new(S3Bucket, self, "state", bucket=name, force_destroy=False, lifecycle=PROTECTED,
                          tags={"Name": name})
        new(S3BucketVersioning, self, "versioning.state", bucket=bucket.id,
                           versioning_configuration=VersioningConfiguration(status="Enabled"))
        new(S3BucketEncryption, self, "encryption.state", bucket=bucket.id, rule=[EncryptionRule(
            apply_server_side_encryption_by_default=EncryptionDefault(sse_algorithm="AES256"),
            bucket_key_enabled=True)])
        new(S3BucketOwnershipControls, self, "ownership.state", bucket=bucket.id,
                                  rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"))
        public_access = new(S3BucketPublicAccessBlock, self, "public_access.state", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True)
        new(S3BucketPolicy, self, "policy.state", bucket=bucket.id,
                       policy=tls_only_policy(config.partition.arn("s3", name)),
                       depends_on=[public_access])
        outputs = {
            "state_bucket": (bucket.bucket, "Name of the bucket that holds the tiers' state."),
            "state_bucket_arn": (bucket.arn, "ARN of the state bucket."),
            "state_region": (config.resolved_state_region, "Region of the state bucket."),
            "state_key_prefix": (f"{config.state.key_prefix}/{config.cluster_name}",
                                 "Key prefix under which each tier keeps <tier>/terraform.tfstate."),
        }
        if config.state.dynamodb_table:
            table = new(DynamodbTable, self, "lock", name=config.state.dynamodb_table, billing_mode="PAY_PER_REQUEST",
                hash_key="LockID", attribute=[DynamodbTableAttribute(name="LockID", type="S")],
                point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
                server_side_encryption=DynamodbTableServerSideEncryption(enabled=True),
                lifecycle=PROTECTED, tags={"Name": config.state.dynamodb_table})
            outputs["lock_table"] = (table.name, "Name of the DynamoDB lock table.")
        self.outputs(outputs)
        self.finish()
