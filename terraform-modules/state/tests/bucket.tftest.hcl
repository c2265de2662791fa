# The state module: the bucket every tier's state lives in, as a state bucket must be: versioned
# (a bad apply can be rolled back to an earlier state object), encrypted (SSE-S3, or SSE-KMS with
# the given key), never public, reachable over TLS only; and the optional DynamoDB lock table.
# Written by hand; offline with a mocked provider: `terraform test`. Plans only: the bucket and
# the table are `prevent_destroy`, which this suite's clean-up (a destroy) would trip over; the
# lifecycle rule is proven by tests/test_exported_modules.py with a destroy plan.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws-us-gov", dns_suffix = "amazonaws.com" }
  }
}

variables {
  state_bucket = "ocp4-x7k2q-state"
}

run "the_bucket_is_versioned_private_tls_only_and_sse_s3_by_default" {
  command = plan

  assert {
    condition     = aws_s3_bucket.state.bucket == "ocp4-x7k2q-state" && !aws_s3_bucket.state.force_destroy
    error_message = "the bucket has the given name and is never emptied by a destroy"
  }
  assert {
    condition     = one(aws_s3_bucket_versioning.state.versioning_configuration).status == "Enabled"
    error_message = "the state bucket is versioned"
  }
  assert {
    condition = (one(one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    && one(one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default).kms_master_key_id == null)
    error_message = "without a key the bucket is SSE-S3"
  }
  assert {
    condition = (aws_s3_bucket_public_access_block.state.block_public_acls && aws_s3_bucket_public_access_block.state.block_public_policy
    && aws_s3_bucket_public_access_block.state.ignore_public_acls && aws_s3_bucket_public_access_block.state.restrict_public_buckets)
    error_message = "all four public access blocks are on"
  }
  assert {
    condition     = one(aws_s3_bucket_ownership_controls.state.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs are off: the bucket owner owns every object"
  }
  assert {
    # The partition comes from the provider (here aws-us-gov), never a hard-coded arn:aws:.
    condition = jsondecode(aws_s3_bucket_policy.state.policy).Statement == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws-us-gov:s3:::ocp4-x7k2q-state", "arn:aws-us-gov:s3:::ocp4-x7k2q-state/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "the bucket policy denies every request not made over TLS, and grants nothing"
  }
  assert {
    condition     = length(aws_dynamodb_table.lock) == 0
    error_message = "no lock table unless one is named (the S3 backend locks with a lock file)"
  }
}

run "a_key_makes_the_bucket_sse_kms" {
  command = plan

  variables {
    state_kms_key_arn = "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition = (one(one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
      && one(one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default).kms_master_key_id == var.state_kms_key_arn
    && one(aws_s3_bucket_server_side_encryption_configuration.state.rule).bucket_key_enabled)
    error_message = "with a key the bucket is SSE-KMS with that key and a bucket key"
  }
}

run "a_named_lock_table_is_encrypted_and_recoverable" {
  command = plan

  variables {
    lock_table = "ocp4-x7k2q-lock"
  }

  assert {
    condition = (aws_dynamodb_table.lock[0].name == "ocp4-x7k2q-lock" && aws_dynamodb_table.lock[0].hash_key == "LockID"
      && aws_dynamodb_table.lock[0].billing_mode == "PAY_PER_REQUEST" && one(aws_dynamodb_table.lock[0].server_side_encryption).enabled
    && one(aws_dynamodb_table.lock[0].point_in_time_recovery).enabled)
    error_message = "the lock table is keyed LockID, on demand, encrypted, with point-in-time recovery"
  }
}
