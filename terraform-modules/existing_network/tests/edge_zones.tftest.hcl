# The existing_network module's edge zones: the network team's edge subnets, handed over by ID,
# looked up and checked at plan time like the AZs' (mocked provider, no AWS); `terraform test`.

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
  mock_data "aws_availability_zones" {
    defaults = { names = ["us-east-1a", "us-east-1-nyc-1a"] }
  }
}

variables {
  infra_id           = "ocp4-x7k2q"
  availability_zones = ["us-east-1a"]
  vpc_id             = "vpc-0123456789abcdef0"
  private_subnet_ids = ["subnet-0a00000000000000a"]
  public_subnet_ids  = []
  edge_zones         = [{ name = "us-east-1-nyc-1a", public_subnet_id = "subnet-0e00000000000000e" }]
}

override_data {
  target = data.aws_subnet.private["us-east-1a"]
  values = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1a", cidr_block = "10.0.48.0/20" }
}
override_data {
  target = data.aws_availability_zone.edge["us-east-1-nyc-1a"]
  values = { zone_type = "local-zone", opt_in_status = "opted-in", group_name = "us-east-1-nyc-1", parent_zone_name = "us-east-1f" }
}
override_data {
  target = data.aws_subnet.edge_public["us-east-1-nyc-1a"]
  values = { id = "subnet-0e00000000000000e", vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1-nyc-1a" }
}

run "a_handed_edge_subnet_is_looked_up_and_given_to_the_machinesets" {
  command = plan

  assert {
    condition     = output.edge_zones["us-east-1-nyc-1a"].public_subnet_id == "subnet-0e00000000000000e" && output.edge_zones["us-east-1-nyc-1a"].type == "local-zone"
    error_message = "the edge_zones output names the handed subnet"
  }
}

run "an_edge_subnet_in_another_zone_stops_the_plan" {
  command = plan

  override_data {
    target = data.aws_subnet.edge_public["us-east-1-nyc-1a"]
    values = { id = "subnet-0e00000000000000e", vpc_id = "vpc-0123456789abcdef0", availability_zone = "us-east-1a" }
  }

  expect_failures = [data.aws_subnet.edge_public]
}

run "cidrs_are_for_a_vpc_the_module_creates" {
  command = plan

  variables {
    edge_zones = [{ name = "us-east-1-nyc-1a", public_subnet_id = "subnet-0e00000000000000e", public_cidr = "10.0.96.0/20" }]
  }

  expect_failures = [data.aws_availability_zone.edge]
}
