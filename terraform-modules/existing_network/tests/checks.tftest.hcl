# The existing_network module's plan-time checks, against a mocked provider (no AWS): a
# fitting VPC, and each way a handed VPC or subnet can be wrong. `terraform test` in the module.

mock_provider "aws" {
  mock_data "aws_vpc" {
    defaults = {
      cidr_block_associations = [{ association_id = "vpc-cidr-assoc-1", cidr_block = "10.0.0.0/16", state = "associated" }]
      enable_dns_support      = true
      enable_dns_hostnames    = true
    }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_route_table" {
    defaults = { id = "rtb-0000000000000main" }
  }
}

variables {
  infra_id           = "ocp4-x7k2q"
  availability_zones = ["us-east-1a", "us-east-1b"]
  vpc_id             = "vpc-0123456789abcdef0"
  private_subnet_ids = ["subnet-0a00000000000000a", "subnet-0b00000000000000b"]
  public_subnet_ids  = ["subnet-0c00000000000000c", "subnet-0d00000000000000d"]
}

# What the data sources answer for a well-formed VPC (each run overrides one subnet).
override_data {
  target = data.aws_subnet.private["us-east-1a"]
  values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1a", cidr_block = "10.0.48.0/20" }
}
override_data {
  target = data.aws_subnet.private["us-east-1b"]
  values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1b", cidr_block = "10.0.64.0/20" }
}
override_data {
  target = data.aws_subnet.public["us-east-1a"]
  values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1a", cidr_block = "10.0.0.0/20" }
}
override_data {
  target = data.aws_subnet.public["us-east-1b"]
  values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1b", cidr_block = "10.0.16.0/20" }
}
override_data {
  target = data.aws_route_tables.private["us-east-1a"]
  values = { ids = ["rtb-0a0000000000000aa"] }
}

run "a_fitting_vpc_is_tagged_and_keeps_the_network_outputs" {
  command = plan
  assert {
    condition     = length(aws_ec2_tag.subnet) == 8 && aws_ec2_tag.subnet["us-east-1b/public/role"].key == "kubernetes.io/role/elb"
    error_message = "expected the cluster and role tags on each of the four subnets"
  }
  assert {
    condition     = aws_ec2_tag.subnet["us-east-1a/private/cluster"].key == "kubernetes.io/cluster/ocp4-x7k2q" && aws_ec2_tag.subnet["us-east-1a/private/cluster"].value == "shared"
    error_message = "expected the cluster tag with the value shared"
  }
  assert {
    # An associated table where there is one, the VPC's main table where there is none.
    condition     = jsonencode(output.private_route_table_ids) == jsonencode(["rtb-0a0000000000000aa", "rtb-0000000000000main"])
    error_message = "expected each subnet's own route table, else the main one"
  }
  assert {
    condition     = jsonencode(output.private_subnet_ids) == jsonencode(var.private_subnet_ids) && jsonencode(output.public_subnet_ids) == jsonencode(var.public_subnet_ids)
    error_message = "expected the subnet IDs in AZ order"
  }
  assert {
    condition     = length(aws_vpc_endpoint.s3) == 0
    error_message = "the S3 endpoint is only made when asked for"
  }
}

run "without_role_tags_only_the_cluster_tag_is_added" {
  command = plan
  variables {
    subnet_role_tags = false
  }
  assert {
    condition     = length(aws_ec2_tag.subnet) == 4 && alltrue([for key, tag in aws_ec2_tag.subnet : tag.key == "kubernetes.io/cluster/ocp4-x7k2q"])
    error_message = "expected the cluster tag alone on each of the four subnets"
  }
}

run "a_subnet_of_another_vpc_fails_the_plan" {
  command = plan
  override_data {
    target = data.aws_subnet.private["us-east-1b"]
    values = { vpc_id = "vpc-0fffffffffffffff0", availability_zone = "us-east-1b", cidr_block = "10.0.64.0/20" }
  }
  expect_failures = [data.aws_subnet.private]
}

run "a_subnet_of_another_zone_fails_the_plan" {
  command = plan
  override_data {
    target = data.aws_subnet.public["us-east-1a"]
    values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1c", cidr_block = "10.0.0.0/20" }
  }
  expect_failures = [data.aws_subnet.public]
}

run "a_subnet_outside_vpc_cidr_fails_the_plan" {
  command = plan
  variables {
    vpc_cidr = "10.0.0.0/18"
  }
  override_data {
    target = data.aws_vpc.cluster
    values = { cidr_block_associations = [{ association_id = "a1", cidr_block = "10.0.0.0/16", state = "associated" }, { association_id = "a2", cidr_block = "10.0.0.0/18", state = "associated" }], enable_dns_support = true, enable_dns_hostnames = true }
  }
  expect_failures = [data.aws_subnet.private]
}

run "a_vpc_without_dns_host_names_fails_the_plan" {
  command = plan
  override_data {
    target = data.aws_vpc.cluster
    values = { cidr_block_associations = [{ association_id = "a1", cidr_block = "10.0.0.0/16", state = "associated" }], enable_dns_support = true, enable_dns_hostnames = false }
  }
  expect_failures = [data.aws_vpc.cluster]
}

run "a_vpc_cidr_the_vpc_does_not_have_fails_the_plan" {
  command = plan
  variables {
    vpc_cidr = "10.1.0.0/16"
  }
  expect_failures = [data.aws_vpc.cluster]
}

run "lists_that_do_not_line_up_with_the_zones_fail_the_plan" {
  command = plan
  variables {
    public_subnet_ids = ["subnet-0c00000000000000c"]
  }
  expect_failures = [data.aws_vpc.cluster]
}
