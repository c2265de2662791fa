# The network module's subnets against the reference carving: 01_vpc.yaml's
# `!Cidr [VpcCidr, 6, SubnetBits]` gives AZ i the public block i and the private block 3 + i,
# whatever the number of AZs. Written by hand (the expected blocks come from the template's
# rule, not from a plan); run offline with a mocked provider: `terraform test`.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
}

variables {
  infra_id = "ocp4-x7k2q"
}

run "one_az_takes_the_first_public_and_the_fourth_block" {
  command = plan

  variables {
    availability_zones = ["us-east-1a"]
  }

  assert {
    condition     = length(aws_subnet.public) == 1 && length(aws_subnet.private) == 1
    error_message = "one AZ: one public and one private subnet"
  }
  assert {
    condition     = aws_subnet.public["us-east-1a"].cidr_block == "10.0.0.0/20" && aws_subnet.private["us-east-1a"].cidr_block == "10.0.48.0/20"
    error_message = "one AZ: expected 10.0.0.0/20 and 10.0.48.0/20"
  }
}

run "two_azs_keep_the_private_blocks_at_three_and_four" {
  command = plan

  variables {
    availability_zones = ["us-east-1a", "us-east-1b"]
  }

  assert {
    condition = (aws_subnet.public["us-east-1a"].cidr_block == "10.0.0.0/20" && aws_subnet.public["us-east-1b"].cidr_block == "10.0.16.0/20"
    && aws_subnet.private["us-east-1a"].cidr_block == "10.0.48.0/20" && aws_subnet.private["us-east-1b"].cidr_block == "10.0.64.0/20")
    error_message = "two AZs: expected public 10.0.0.0/20, 10.0.16.0/20 and private 10.0.48.0/20, 10.0.64.0/20"
  }
  assert {
    condition     = length(aws_nat_gateway.nat) == 2 && length(aws_route_table.private) == 2
    error_message = "two AZs: a NAT gateway and a private route table per AZ"
  }
}

run "three_azs_use_all_six_blocks" {
  command = plan

  variables {
    availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
  }

  assert {
    condition = ([for az in ["us-east-1a", "us-east-1b", "us-east-1c"] : aws_subnet.public[az].cidr_block] == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    && [for az in ["us-east-1a", "us-east-1b", "us-east-1c"] : aws_subnet.private[az].cidr_block] == ["10.0.48.0/20", "10.0.64.0/20", "10.0.80.0/20"])
    error_message = "three AZs: expected the six /20 blocks of 10.0.0.0/16 in order"
  }
  assert {
    condition     = aws_subnet.public["us-east-1c"].availability_zone == "us-east-1c" && aws_subnet.private["us-east-1c"].tags["kubernetes.io/role/internal-elb"] == "1"
    error_message = "each subnet is in its AZ, the private ones tagged for internal load balancers"
  }
}

run "a_custom_cidr_and_subnet_size_carve_the_same_way" {
  command = plan

  variables {
    availability_zones = ["us-east-1a"]
    vpc_cidr           = "172.20.0.0/20"
    subnet_bits        = 8
    nat_gateways       = false
  }

  assert {
    condition     = aws_subnet.public["us-east-1a"].cidr_block == "172.20.0.0/24" && aws_subnet.private["us-east-1a"].cidr_block == "172.20.3.0/24"
    error_message = "172.20.0.0/20 with 8 host bits: expected 172.20.0.0/24 and 172.20.3.0/24"
  }
  assert {
    condition     = length(aws_nat_gateway.nat) == 0 && length(aws_eip.nat) == 0
    error_message = "nat_gateways = false creates no NAT gateway and no EIP"
  }
}

# The subnets' Name tags are what the release's MachineSets filter on (configuration/releases.py).
run "subnet_names_follow_the_release" {
  command = plan

  variables {
    availability_zones = ["us-east-1a", "us-east-1b"]
  }

  assert {
    condition     = aws_subnet.private["us-east-1b"].tags["Name"] == "ocp4-x7k2q-subnet-private-us-east-1b" && aws_subnet.public["us-east-1a"].tags["Name"] == "ocp4-x7k2q-subnet-public-us-east-1a"
    error_message = "from 4.16 (the default is 4.22): <infra_id>-subnet-<public|private>-<az>"
  }
}

run "up_to_4_15_subnets_are_named_as_the_installer_s_terraform_named_them" {
  command = plan

  variables {
    availability_zones = ["us-east-1a"]
    openshift_version  = "4.14"
  }

  assert {
    condition     = aws_subnet.private["us-east-1a"].tags["Name"] == "ocp4-x7k2q-private-us-east-1a" && aws_subnet.public["us-east-1a"].tags["Name"] == "ocp4-x7k2q-public-us-east-1a"
    error_message = "4.14: <infra_id>-<public|private>-<az>"
  }
}
