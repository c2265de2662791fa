# The network module's edge zones against the UPI helpers (01.99_net_local-zone.yaml,
# 01_vpc_01_carrier_gateway.yaml, 01_vpc_99_subnet.yaml) and the default carving: a zone's
# blocks follow the six of the AZs in list order, two for a Wavelength Zone, one for a Local
# Zone (10.0.0.0/16 in /20 blocks: block 6 is 10.0.96.0/20). Written by hand; the zones are
# described to the mocked provider as EC2 describes them; `terraform test` in the module.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_availability_zones" {
    defaults = { names = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1-nyc-1a", "us-east-1-wl1-bos-wlz-1"] }
  }
}

variables {
  infra_id           = "ocp4-x7k2q"
  availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
  edge_zones         = [{ name = "us-east-1-nyc-1a" }, { name = "us-east-1-wl1-bos-wlz-1" }]
}

override_data {
  target = data.aws_availability_zone.edge["us-east-1-nyc-1a"]
  values = { zone_type = "local-zone", opt_in_status = "opted-in", group_name = "us-east-1-nyc-1", parent_zone_name = "us-east-1f" }
}
override_data {
  target = data.aws_availability_zone.edge["us-east-1-wl1-bos-wlz-1"]
  values = { zone_type = "wavelength-zone", opt_in_status = "opted-in", group_name = "us-east-1-wl1", parent_zone_name = "us-east-1b" }
}

run "a_local_zone_and_a_wavelength_zone_take_the_blocks_after_the_six_of_the_azs" {
  command = apply

  assert {
    condition = (aws_subnet.edge_public["us-east-1-nyc-1a"].cidr_block == "10.0.96.0/20"
      && aws_subnet.edge_public["us-east-1-wl1-bos-wlz-1"].cidr_block == "10.0.112.0/20"
    && aws_subnet.edge_private["us-east-1-wl1-bos-wlz-1"].cidr_block == "10.0.128.0/20")
    error_message = "expected blocks 6 (the Local Zone), 7 and 8 (the Wavelength Zone's public and private)"
  }
  assert {
    condition     = length(aws_subnet.edge_private) == 1 && !contains(keys(aws_subnet.edge_private), "us-east-1-nyc-1a")
    error_message = "a Local Zone gets a public subnet only"
  }
  assert {
    condition = alltrue([for subnet in concat(values(aws_subnet.edge_public), values(aws_subnet.edge_private)) :
    subnet.tags["kubernetes.io/cluster/unmanaged"] == "true"])
    error_message = "every edge subnet is tagged kubernetes.io/cluster/unmanaged: true"
  }
  assert {
    condition     = aws_route_table_association.edge_public["us-east-1-nyc-1a"].route_table_id == aws_route_table.public.id
    error_message = "a Local Zone's subnet is on the VPC's public route table"
  }
  assert {
    condition = (aws_route_table_association.edge_public["us-east-1-wl1-bos-wlz-1"].route_table_id == aws_route_table.carrier[0].id
    && aws_route.carrier_internet[0].carrier_gateway_id == aws_ec2_carrier_gateway.carrier[0].id)
    error_message = "a Wavelength Zone's public subnet is on the carrier table, 0.0.0.0/0 to the carrier gateway"
  }
  assert {
    condition     = aws_ec2_carrier_gateway.carrier[0].tags["Name"] == "ocp4-x7k2q-cagw" && aws_route_table.carrier[0].tags["Name"] == "ocp4-x7k2q-public-carrier"
    error_message = "the helper's names: <cluster>-cagw and <cluster>-public-carrier"
  }
  assert {
    condition     = aws_route_table_association.edge_private["us-east-1-wl1-bos-wlz-1"].route_table_id == aws_route_table.private["us-east-1b"].id
    error_message = "a Wavelength Zone's private subnet is on its parent zone's private route table"
  }
  assert {
    condition     = contains(aws_vpc_endpoint.s3.route_table_ids, aws_route_table.carrier[0].id)
    error_message = "the S3 gateway endpoint is on the carrier table too"
  }
  assert {
    condition = (output.edge_zones["us-east-1-wl1-bos-wlz-1"].private_subnet_id == aws_subnet.edge_private["us-east-1-wl1-bos-wlz-1"].id
      && output.edge_zones["us-east-1-nyc-1a"].private_subnet_id == null && output.edge_zones["us-east-1-nyc-1a"].group == "us-east-1-nyc-1"
    && output.edge_zones["us-east-1-nyc-1a"].parent_zone == "us-east-1f")
    error_message = "the edge_zones output: subnets, group and parent zone of each"
  }
}

run "given_cidrs_are_kept_and_a_parent_outside_the_cluster_takes_the_first_az_s_table" {
  command = apply

  variables {
    edge_zones = [{ name = "us-east-1-wl1-bos-wlz-1", public_cidr = "10.0.240.0/24", private_cidr = "10.0.241.0/24" }]
  }
  override_data {
    target = data.aws_availability_zone.edge["us-east-1-wl1-bos-wlz-1"]
    values = { zone_type = "wavelength-zone", opt_in_status = "opted-in", group_name = "us-east-1-wl1", parent_zone_name = "us-east-1d" }
  }

  assert {
    condition     = aws_subnet.edge_public["us-east-1-wl1-bos-wlz-1"].cidr_block == "10.0.240.0/24" && aws_subnet.edge_private["us-east-1-wl1-bos-wlz-1"].cidr_block == "10.0.241.0/24"
    error_message = "given CIDRs are used as given"
  }
  assert {
    condition     = aws_route_table_association.edge_private["us-east-1-wl1-bos-wlz-1"].route_table_id == aws_route_table.private["us-east-1a"].id
    error_message = "a parent zone the cluster does not use: the first AZ's private route table"
  }
}

run "without_edge_zones_there_is_no_carrier_gateway" {
  command = plan

  variables {
    edge_zones = []
  }

  assert {
    condition     = length(aws_ec2_carrier_gateway.carrier) == 0 && length(aws_subnet.edge_public) == 0
    error_message = "no edge zones, no edge resources"
  }
}

run "a_zone_group_the_account_has_not_opted_into_stops_the_plan" {
  command = plan

  override_data {
    target = data.aws_availability_zone.edge["us-east-1-nyc-1a"]
    values = { zone_type = "local-zone", opt_in_status = "not-opted-in", group_name = "us-east-1-nyc-1", parent_zone_name = "us-east-1f" }
  }

  expect_failures = [data.aws_availability_zone.edge]
}

run "a_declared_type_aws_contradicts_stops_the_plan" {
  command = plan

  variables {
    edge_zones = [{ name = "us-east-1-nyc-1a", type = "wavelength-zone" }]
  }

  expect_failures = [data.aws_availability_zone.edge]
}

run "a_zone_ec2_does_not_know_stops_the_plan" {
  command = plan

  variables {
    edge_zones = [{ name = "us-east-1-lax-1a" }]
  }
  # Described as a fitting zone: only the check that EC2 lists it can fail.
  override_data {
    target = data.aws_availability_zone.edge["us-east-1-lax-1a"]
    values = { zone_type = "local-zone", opt_in_status = "opted-in", group_name = "us-east-1-lax-1", parent_zone_name = "us-east-1a" }
  }

  expect_failures = [data.aws_availability_zone.edge]
}

run "a_cidr_over_an_az_block_stops_the_plan" {
  command = plan

  variables {
    edge_zones = [{ name = "us-east-1-nyc-1a", public_cidr = "10.0.16.0/24" }]
  }

  expect_failures = [data.aws_availability_zone.edge]
}

run "a_cidr_over_another_zone_s_stops_the_plan" {
  command = plan

  variables {
    edge_zones = [{ name = "us-east-1-nyc-1a" }, { name = "us-east-1-wl1-bos-wlz-1", public_cidr = "10.0.96.0/24" }]
  }

  expect_failures = [data.aws_availability_zone.edge]
}

run "a_cidr_outside_the_vpc_stops_the_plan" {
  command = plan

  variables {
    edge_zones = [{ name = "us-east-1-nyc-1a", public_cidr = "10.1.0.0/20" }]
  }

  expect_failures = [data.aws_availability_zone.edge]
}

run "with_the_network_acl_the_edge_public_subnets_have_it_too" {
  command = plan

  variables {
    network_acl = true
  }

  assert {
    condition     = toset(keys(aws_network_acl_association.edge_public)) == toset(["us-east-1-nyc-1a", "us-east-1-wl1-bos-wlz-1"])
    error_message = "every edge public subnet is on the public network ACL"
  }
}

run "subnet_ids_are_for_an_existing_vpc" {
  command = plan

  variables {
    edge_zones = [{ name = "us-east-1-nyc-1a", public_subnet_id = "subnet-0123abcd" }]
  }

  expect_failures = [data.aws_availability_zone.edge]
}
