# The bootstrap module: one machine, registered with every API target group it is given,
# in a public subnet when External and a private one (no public IP) when Internal.
# Written by hand; offline with a mocked provider: `terraform test`.

mock_provider "aws" {}

variables {
  infra_id                 = "ocp4-x7k2q"
  rhcos_ami                = "ami-0123456789abcdef0"
  bootstrap_ignition_url   = "s3://ocp4-x7k2q-infra/bootstrap.ign"
  vpc_id                   = "vpc-0123456789abcdef0"
  public_subnet_ids        = ["subnet-0a0000000000000a0", "subnet-0b0000000000000b0"]
  private_subnet_ids       = ["subnet-1a0000000000000a1", "subnet-1b0000000000000b1"]
  master_security_group_id = "sg-0123456789abcdef0"
  target_group_arns = {
    external_api     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ocp4-x7k2q-aext/0000000000000001"
    internal_api     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ocp4-x7k2q-aint/0000000000000002"
    internal_service = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ocp4-x7k2q-sint/0000000000000003"
  }
}

run "external_registers_the_machine_with_all_three_groups" {
  command = plan

  assert {
    condition     = length(aws_instance.bootstrap) == 1 && aws_instance.bootstrap["0"].subnet_id == "subnet-0a0000000000000a0" && aws_instance.bootstrap["0"].associate_public_ip_address == true
    error_message = "External: one bootstrap machine, in the first public subnet, with a public IP"
  }
  assert {
    condition     = toset(keys(aws_lb_target_group_attachment.bootstrap)) == toset(["0/external_api", "0/internal_api", "0/internal_service"])
    error_message = "the bootstrap machine joins every API target group"
  }
  assert {
    condition     = aws_lb_target_group_attachment.bootstrap["0/internal_service"].target_group_arn == var.target_group_arns["internal_service"]
    error_message = "each registration is with the group of its key"
  }
}

run "internal_puts_it_in_a_private_subnet" {
  command = plan

  variables {
    publish           = "Internal"
    public_subnet_ids = []
    target_group_arns = {
      internal_api     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ocp4-x7k2q-aint/0000000000000002"
      internal_service = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ocp4-x7k2q-sint/0000000000000003"
    }
  }

  assert {
    condition     = aws_instance.bootstrap["0"].subnet_id == "subnet-1a0000000000000a1" && aws_instance.bootstrap["0"].associate_public_ip_address == false
    error_message = "Internal: the bootstrap machine is private, without a public IP"
  }
  assert {
    condition     = toset(keys(aws_lb_target_group_attachment.bootstrap)) == toset(["0/internal_api", "0/internal_service"])
    error_message = "Internal: registered with the internal groups only"
  }
}
