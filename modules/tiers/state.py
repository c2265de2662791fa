"""State tier: the S3 bucket (and optional DynamoDB table) that hold every other tier's state.

Losing Terraform state is the worst failure this project can cause, so the
bucket is versioned (every state write can be rolled back), encrypted, closed
to the public, reachable over TLS only, and protected by `prevent_destroy`.
The stack itself keeps local state in its stack folder; docs/concepts.md explains how to
migrate it into the bucket once the bucket exists.
"""
from __future__ import annotations

# Nested blocks always go in as the bindings' struct classes (see constructs/buckets.py).
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

from ..configuration.topology import Tier
from ..constructs.buckets import PrivateBucket
from ..constructs.cdk import Construct, TerraformResourceLifecycle
from ..constructs.hcl import attribute, interpolate, is_set, new, optional_count
from ..constructs.waivers import waive
from .base import TierStack
from .inputs import InputSource

PROTECTED = TerraformResourceLifecycle(prevent_destroy=True)


class StateStack(TierStack):
    tier = Tier.STATE

    def __init__(self, scope: Construct, source: InputSource):
        super().__init__(scope, source)
        inputs = self.inputs
        name = inputs.state_bucket
        bucket = PrivateBucket(self, "state", name, inputs.partition, lifecycle=PROTECTED,
                               kms_key_arn=inputs.state_kms_key_arn).bucket
        # Versioning on the state bucket only: every state write can be rolled back.
        new(S3BucketVersioning, self, "versioning.state", bucket=bucket.id,
            versioning_configuration=VersioningConfiguration(status="Enabled"))
        outputs = {
            "state_bucket": (bucket.bucket, "Name of the bucket that holds the tiers' state."),
            "state_bucket_arn": (bucket.arn, "ARN of the state bucket."),
            "state_region": (inputs.state_region, "Region of the state bucket."),
        }
        if inputs.state_key_prefix is not None:
            outputs["state_key_prefix"] = (inputs.state_key_prefix,
                                           "Key prefix under which each tier keeps <tier>/terraform.tfstate.")
        count = optional_count(is_set(inputs.lock_table))
        if count is not None:
            table_name = interpolate(inputs.lock_table)
            table = new(DynamodbTable, self, "lock", name=table_name, billing_mode="PAY_PER_REQUEST",
                hash_key="LockID", attribute=[DynamodbTableAttribute(name="LockID", type="S")],
                point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
                server_side_encryption=DynamodbTableServerSideEncryption(enabled=True),
                lifecycle=PROTECTED, tags={"Name": table_name}, **count)
            waive(table, "CKV_AWS_119", "SSE with the AWS-owned key; a customer key could lock operators out of the "
                                        "locks.")
            outputs["lock_table"] = (attribute(table, "name"), "Name of the DynamoDB lock table.")
        self.outputs(outputs)
        self.finish()
