# The control_plane module: three masters spread over the private subnets, each registered
# with every API target group. Written by hand; offline with a mocked provider: `terraform test`.

mock_provider "aws" {}

variables {
  cluster_name                 = "ocp4"
  base_domain                  = "example.com"
  infra_id                     = "ocp4-x7k2q"
  rhcos_ami                    = "ami-0123456789abcdef0"
  ignition_ca                  = "data:text/plain;charset=utf-8;base64,LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
  private_subnet_ids           = ["subnet-1a0000000000000a1", "subnet-1b0000000000000b1", "subnet-1c0000000000000c1"]
  master_security_group_id     = "sg-0123456789abcdef0"
  lb_security_group_id         = "sg-0aaaaaaaaaaaaaaa1"
  master_instance_profile_name = "ocp4-x7k2q-master-profile"
  target_group_arns = {
    external_api     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ocp4-x7k2q-aext/0000000000000001"
    internal_api     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ocp4-x7k2q-aint/0000000000000002"
    internal_service = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ocp4-x7k2q-sint/0000000000000003"
  }
}

run "three_masters_one_per_subnet_in_every_group" {
  command = plan

  assert {
    condition     = tolist([for i in ["0", "1", "2"] : aws_instance.master[i].subnet_id]) == var.private_subnet_ids
    error_message = "master i goes to private subnet i"
  }
  assert {
    condition     = length(aws_lb_target_group_attachment.master) == 9 && alltrue([for key, attachment in aws_lb_target_group_attachment.master : attachment.target_group_arn == var.target_group_arns[split("/", key)[1]]])
    error_message = "each master is registered with each of the three groups (9 registrations)"
  }
}

run "one_subnet_takes_all_three_and_internal_groups_only" {
  command = plan

  variables {
    private_subnet_ids = ["subnet-1a0000000000000a1"]
    target_group_arns = {
      internal_api     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ocp4-x7k2q-aint/0000000000000002"
      internal_service = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ocp4-x7k2q-sint/0000000000000003"
    }
  }

  assert {
    condition     = length(aws_instance.master) == 3 && alltrue([for master in aws_instance.master : master.subnet_id == "subnet-1a0000000000000a1"])
    error_message = "one AZ: all three masters in its subnet"
  }
  assert {
    condition     = toset(keys(aws_lb_target_group_attachment.master)) == toset(["0/internal_api", "0/internal_service", "1/internal_api", "1/internal_service", "2/internal_api", "2/internal_service"])
    error_message = "Internal: six registrations, none with an external group"
  }
}

# From 4.16 every master also carries the cloud provider's <infra_id>-lb group (configuration/releases.py);
# a caller who wires the modules by hand and passes null is told what to pass.
run "masters_carry_the_lb_group_and_a_null_one_is_named" {
  command = plan

  assert {
    condition     = alltrue([for master in aws_instance.master : master.vpc_security_group_ids == toset(["sg-0123456789abcdef0", "sg-0aaaaaaaaaaaaaaa1"])])
    error_message = "the master group and the -lb group"
  }
}

run "a_null_lb_group_from_4_16_is_refused" {
  command = plan

  variables {
    lb_security_group_id = null
  }

  expect_failures = [aws_instance.master]
}
