# The existing VPC as the plan-time checks want it: the generated validations suite
# (tests/validations.tftest.hcl) starts with this; the baseline has three AZs.
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
  target = data.aws_subnet.public["us-east-1c"]
  values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1c", cidr_block = "10.0.32.0/20" }
}
override_data {
  target = data.aws_subnet.private["us-east-1a"]
  values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1a", cidr_block = "10.0.48.0/20" }
}
override_data {
  target = data.aws_subnet.private["us-east-1b"]
  values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1b", cidr_block = "10.0.64.0/20" }
}
override_data {
  target = data.aws_subnet.private["us-east-1c"]
  values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1c", cidr_block = "10.0.80.0/20" }
}
