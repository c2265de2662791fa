# One bad subnet, not expected to fail: tests/test_existing.py reads the error the plan prints.

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

variables {
  infra_id           = "ocp4-x7k2q"
  availability_zones = ["us-east-1a"]
  vpc_id             = "vpc-0123456789abcdef0"
  private_subnet_ids = ["subnet-0a00000000000000a"]
  public_subnet_ids  = []
}

run "a_subnet_of_another_zone" {
  command = plan
  override_data {
    target = data.aws_subnet.private["us-east-1a"]
    values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1b", cidr_block = "10.0.48.0/20" }
  }
}
