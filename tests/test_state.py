"""State tier: the bucket that holds every other tier's state, and its protections."""
from __future__ import annotations

import json


def test_state_stack_keeps_relative_local_state(synthesized):
    stack = synthesized.stack("default", "state")
    assert stack["terraform"]["backend"] == {"local": {"path": "terraform.tfstate"}}


def test_bucket_is_versioned_encrypted_private_and_protected(synthesized):
    r = synthesized.stack("default", "state")["resource"]
    bucket = r["aws_s3_bucket"]["state"]
    assert bucket["bucket"] == "ocp4-x7k2q-tfstate"
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    assert bucket["force_destroy"] is False
    assert r["aws_s3_bucket_versioning"]["state"]["versioning_configuration"] == {"status": "Enabled"}
    [rule] = r["aws_s3_bucket_server_side_encryption_configuration"]["state"]["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    block = r["aws_s3_bucket_public_access_block"]["state"]
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy",
                                          "ignore_public_acls", "restrict_public_buckets"))
    assert r["aws_s3_bucket_ownership_controls"]["state"]["rule"] == {"object_ownership": "BucketOwnerEnforced"}
    for kind in ("aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block", "aws_s3_bucket_policy"):
        assert r[kind]["state"]["bucket"] == "${aws_s3_bucket.state.id}"


def test_bucket_policy_denies_every_request_without_tls(synthesized):
    for name, arn in (("default", "arn:aws:s3:::ocp4-x7k2q-tfstate"),
                      ("govcloud", "arn:aws-us-gov:s3:::ocp4-x7k2q-tfstate"),
                      ("china", "arn:aws-cn:s3:::ocp4-x7k2q-tfstate")):
        policy = json.loads(synthesized.resources(name, "state", "aws_s3_bucket_policy")["state"]["policy"])
        [statement] = policy["Statement"]
        assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
        assert statement["Resource"] == [arn, f"{arn}/*"]
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_optional_lock_table(synthesized):
    assert "aws_dynamodb_table" not in synthesized.stack("default", "state")["resource"]
    stack = synthesized.stack("restricted", "state")
    table = stack["resource"]["aws_dynamodb_table"]["lock"]
    assert table["name"] == "acme-ocp-locks"
    assert table["hash_key"] == "LockID" and table["attribute"] == [{"name": "LockID", "type": "S"}]
    assert table["lifecycle"] == {"prevent_destroy": True}
    assert "lock_table" in stack["output"]


def test_state_stack_lives_in_the_state_region(synthesized):
    [provider] = synthesized.stack("restricted", "state")["provider"]["aws"]
    assert provider["region"] == "us-west-2"


def test_every_tier_depends_on_the_state_tier(synthesized):
    manifest = json.loads((synthesized.outdir("default") / "manifest.json").read_text())
    assert manifest["stacks"]["ocp4-network"]["dependencies"] == ["ocp4-state"]
    assert manifest["stacks"]["ocp4-state"]["dependencies"] == []
