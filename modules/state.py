"""State tier: the S3 bucket (and optional DynamoDB table) that hold every other tier's state.

Losing Terraform state is the worst failure this project can cause, so the
bucket is versioned (every state write can be rolled back), encrypted, closed
to the public, reachable over TLS only, and protected by `prevent_destroy`.
The stack itself keeps local state in its stack folder; README explains how to
migrate it into the bucket once the bucket exists.
"""
from __future__ import annotations

# Nested blocks always go in as the bindings' struct classes (see buckets.py).
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA as S3BucketVersioning,
    S3BucketVersioningVersioningConfiguration as VersioningConfiguration,
)

from .buckets import PrivateBucket
from .cdk import Construct, TerraformResourceLifecycle
from .config import ClusterConfig
from .tier import Tier, TierStack, new
from .variables import Expr, attribute, optional_count

PROTECTED = TerraformResourceLifecycle(prevent_destroy=True)
CHECKOV_WAIVERS = {
    ("CKV_AWS_119", "lock"): "SSE with the AWS-owned key; a customer key could lock operators out of the locks.",
}


class StateStack(TierStack):
    def __init__(self, scope: Construct, config: ClusterConfig | None = None):
        super().__init__(scope, config, Tier.STATE, region=config.resolved_state_region if config else None)
        config = self.config
        name = config.resolved_state_bucket
        bucket = PrivateBucket(self, "state", name, config.partition, lifecycle=PROTECTED).bucket
        # Versioning on the state bucket only: every state write can be rolled back.
        new(S3BucketVersioning, self, "versioning.state", bucket=bucket.id,
            versioning_configuration=VersioningConfiguration(status="Enabled"))
        outputs = {
            "state_bucket": (bucket.bucket, "Name of the bucket that holds the tiers' state."),
            "state_bucket_arn": (bucket.arn, "ARN of the state bucket."),
            "state_region": (config.resolved_state_region, "Region of the state bucket."),
        }
        if config.module:  # which table, if any, is the caller's input; where it keeps state is unknown
            table_name, wanted = config.string("lock_table"), Expr(f"{config.ref('lock_table')} != null")
        else:
            table_name, wanted = config.state.dynamodb_table, bool(config.state.dynamodb_table)
            outputs["state_key_prefix"] = (f"{config.state.key_prefix}/{config.cluster_name}",
                                           "Key prefix under which each tier keeps <tier>/terraform.tfstate.")
        count = optional_count(wanted)
        if count is not None:
            table = new(DynamodbTable, self, "lock", name=table_name, billing_mode="PAY_PER_REQUEST",
                hash_key="LockID", attribute=[DynamodbTableAttribute(name="LockID", type="S")],
                point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
                server_side_encryption=DynamodbTableServerSideEncryption(enabled=True),
                lifecycle=PROTECTED, tags={"Name": table_name}, **count)
            outputs["lock_table"] = (attribute(table, "name"), "Name of the DynamoDB lock table.")
        self.outputs(outputs)
        self.finish()
