# The credentials module: what `ccoctl aws create-all` makes for a release's CredentialsRequests
# (openshift/cloud-credential-operator, pkg/cmd/provisioning/aws/): an OIDC provider with ccoctl's
# client IDs, one role per request trusted for `sts:AssumeRoleWithWebIdentity` by that provider
# for the request's service accounts only, its inline policy as given, and the issuer's two
# documents, served through CloudFront (default) or public-read from the bucket.
# Written by hand; offline with a mocked provider: `terraform test`. The runs apply (mocked), so
# the provider's ARN and the distribution's domain are the values below, not unknowns.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_resource "aws_cloudfront_distribution" {
    defaults = { domain_name = "d111111abcdef8.cloudfront.net", arn = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE" }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::123456789012:oidc-provider/issuer.example" }
  }
}

variables {
  infra_id = "ocp4-x7k2q"
  jwks     = "{\n    \"keys\": []\n}"
  credentials_requests = {
    "openshift-image-registry/installer-cloud-credentials" = {
      role_name = "ocp4-x7k2q-openshift-image-registry-installer-cloud-credentials"
      subjects = ["system:serviceaccount:openshift-image-registry:cluster-image-registry-operator",
      "system:serviceaccount:openshift-image-registry:registry"]
      policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:CreateBucket\",\"s3:DeleteBucket\"],\"Resource\":\"*\"}]}"
    }
    "openshift-cluster-csi-drivers/ebs-cloud-credentials" = {
      role_name = "ocp4-x7k2q-openshift-cluster-csi-drivers-ebs-cloud-credentials"
      subjects  = ["system:serviceaccount:openshift-cluster-csi-drivers:aws-ebs-csi-driver-controller-sa"]
      policy    = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"kms:CreateGrant\"],\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"kms:GrantIsForAWSResource\":true}}}]}"
    }
  }
}

run "behind_cloudfront_each_request_gets_a_role_its_service_accounts_alone_assume" {
  command = apply

  assert {
    condition     = aws_iam_openid_connect_provider.issuer.url == "https://d111111abcdef8.cloudfront.net" && output.issuer_url == "https://d111111abcdef8.cloudfront.net"
    error_message = "behind CloudFront the issuer is the distribution's HTTPS address"
  }
  assert {
    # create_identity_provider.go: the provider's audiences.
    condition     = toset(aws_iam_openid_connect_provider.issuer.client_id_list) == toset(["openshift", "sts.amazonaws.com"])
    error_message = "the provider's client IDs are ccoctl's: openshift and sts.amazonaws.com"
  }
  assert {
    condition = {
      for key, role in aws_iam_role.operator : key => role.name
      } == {
      "openshift-image-registry/installer-cloud-credentials" = "ocp4-x7k2q-openshift-image-registry-installer-cloud-credentials"
      "openshift-cluster-csi-drivers/ebs-cloud-credentials"  = "ocp4-x7k2q-openshift-cluster-csi-drivers-ebs-cloud-credentials"
    }
    error_message = "one role per request, keyed by its Secret and named as given"
  }
  assert {
    # create-iam-roles.go's trust policy: the provider, web identity, and `<issuer host>:sub` one of the accounts.
    condition = jsondecode(aws_iam_role.operator["openshift-image-registry/installer-cloud-credentials"].assume_role_policy) == {
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/issuer.example" }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = { StringEquals = { "d111111abcdef8.cloudfront.net:sub" = [
          "system:serviceaccount:openshift-image-registry:cluster-image-registry-operator",
          "system:serviceaccount:openshift-image-registry:registry",
        ] } }
      }]
    }
    error_message = "the registry role is assumable through the issuer by its two service accounts only"
  }
  assert {
    condition = jsondecode(aws_iam_role.operator["openshift-cluster-csi-drivers/ebs-cloud-credentials"].assume_role_policy).Statement[0].Condition == {
      StringEquals = { "d111111abcdef8.cloudfront.net:sub" = ["system:serviceaccount:openshift-cluster-csi-drivers:aws-ebs-csi-driver-controller-sa"] }
    }
    error_message = "each role's :sub condition names its own request's service accounts, no other's"
  }
  assert {
    condition = alltrue([for key, request in var.credentials_requests :
      aws_iam_role_policy.operator[key].policy == request.policy && aws_iam_role_policy.operator[key].name == request.role_name
    && aws_iam_role_policy.operator[key].role == aws_iam_role.operator[key].id])
    error_message = "each role's inline policy is its request's document, byte for byte, on that role"
  }
  assert {
    condition     = alltrue([for role in aws_iam_role.operator : role.tags["openshift.io/cloud-credential-operator/ocp4-x7k2q"] == "owned"])
    error_message = "every role carries ccoctl's ownership tag"
  }
  assert {
    condition     = length(aws_cloudfront_distribution.issuer) == 1 && length(aws_s3_bucket_policy.oidc) == 1 && length(aws_s3_bucket_policy.oidc_public) == 0
    error_message = "behind CloudFront: a distribution and the private bucket policy, no public one"
  }
  assert {
    condition = (aws_s3_bucket_public_access_block.oidc.block_public_acls && aws_s3_bucket_public_access_block.oidc.block_public_policy
    && aws_s3_bucket_public_access_block.oidc.ignore_public_acls && aws_s3_bucket_public_access_block.oidc.restrict_public_buckets)
    error_message = "behind CloudFront nothing in the bucket is public"
  }
  assert {
    condition = jsondecode(aws_s3_bucket_policy.oidc[0].policy).Statement[1] == {
      Sid       = "AllowCloudFrontRead"
      Effect    = "Allow"
      Principal = { Service = "cloudfront.amazonaws.com" }
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::ocp4-x7k2q-oidc/*"
      Condition = { StringEquals = { "AWS:SourceArn" = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE" } }
    }
    error_message = "the bucket is read by this distribution only"
  }
  assert {
    condition     = jsondecode(aws_s3_object.discovery.content).issuer == "https://d111111abcdef8.cloudfront.net" && jsondecode(aws_s3_object.discovery.content).jwks_uri == "https://d111111abcdef8.cloudfront.net/keys.json"
    error_message = "the discovery document names the issuer and its key set"
  }
  assert {
    condition     = output.role_arns == { for key, role in aws_iam_role.operator : key => role.arn } && length(output.role_arns) == 2
    error_message = "role_arns has each request's role ARN, keyed by its Secret"
  }
}

run "a_public_bucket_serves_the_two_documents_and_nothing_else" {
  command = apply

  variables {
    issuer_hosting = "public_bucket"
  }

  assert {
    condition     = output.issuer_url == "https://ocp4-x7k2q-oidc.s3.us-east-1.amazonaws.com" && aws_iam_openid_connect_provider.issuer.url == output.issuer_url
    error_message = "with public_bucket the issuer is the bucket's regional address"
  }
  assert {
    condition     = length(aws_cloudfront_distribution.issuer) == 0 && length(aws_cloudfront_origin_access_control.issuer) == 0 && length(aws_s3_bucket_policy.oidc) == 0
    error_message = "with public_bucket there is no distribution"
  }
  assert {
    condition = jsondecode(aws_s3_bucket_policy.oidc_public[0].policy).Statement[1] == {
      Sid       = "AllowReadPublicAccess"
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = ["arn:aws:s3:::ocp4-x7k2q-oidc/.well-known/openid-configuration", "arn:aws:s3:::ocp4-x7k2q-oidc/keys.json"]
    }
    error_message = "anyone may read the two documents, and only them"
  }
  assert {
    condition     = !aws_s3_bucket_public_access_block.oidc.block_public_policy && aws_s3_bucket_public_access_block.oidc.block_public_acls && aws_s3_bucket_public_access_block.oidc.ignore_public_acls
    error_message = "the bucket policy may be public, ACLs may not"
  }
  assert {
    condition = jsondecode(aws_iam_role.operator["openshift-cluster-csi-drivers/ebs-cloud-credentials"].assume_role_policy).Statement[0].Condition == {
      StringEquals = { "ocp4-x7k2q-oidc.s3.us-east-1.amazonaws.com:sub" = ["system:serviceaccount:openshift-cluster-csi-drivers:aws-ebs-csi-driver-controller-sa"] }
    }
    error_message = "the :sub condition follows the issuer's host"
  }
}
