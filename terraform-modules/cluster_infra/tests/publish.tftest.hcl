# The cluster_infra module External and Internal (install-config.yaml's `publish`): the
# external load balancer, its listener, target group and public record exist only when
# External. Written by hand; offline with a mocked provider: `terraform test`.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
}

variables {
  cluster_name       = "ocp4"
  base_domain        = "example.com"
  infra_id           = "ocp4-x7k2q"
  vpc_id             = "vpc-0123456789abcdef0"
  public_subnet_ids  = ["subnet-0a0000000000000a0", "subnet-0b0000000000000b0"]
  private_subnet_ids = ["subnet-1a0000000000000a1", "subnet-1b0000000000000b1"]
}

run "external_publishes_the_api_on_a_public_load_balancer" {
  command = plan

  assert {
    condition     = length(aws_lb.external) == 1 && aws_lb.external[0].internal == false && aws_lb.internal.internal == true
    error_message = "External: a public and an internal network load balancer"
  }
  assert {
    condition     = toset(keys(aws_lb_target_group.api)) == toset(["external_api", "internal_api", "internal_service"])
    error_message = "External: the external API, internal API and machine config server target groups"
  }
  assert {
    condition     = aws_lb_listener.api["external_api"].port == 6443 && aws_lb_listener.api["internal_api"].port == 6443 && aws_lb_listener.api["internal_service"].port == 22623
    error_message = "listeners: 6443 for the API, 22623 for the machine config server"
  }
  assert {
    condition     = length(aws_route53_record.external_api) == 1 && aws_route53_record.external_api[0].name == "api.ocp4.example.com"
    error_message = "External: the public api record"
  }
  assert {
    condition     = aws_route53_record.api_int[0].name == "api-int.ocp4.example.com" && aws_route53_record.api[0].name == "api.ocp4.example.com"
    error_message = "the private zone answers api and api-int"
  }
}

run "internal_keeps_everything_private" {
  command = plan

  variables {
    publish           = "Internal"
    public_subnet_ids = []
  }

  assert {
    condition     = length(aws_lb.external) == 0 && length(aws_route53_record.external_api) == 0
    error_message = "Internal: no public load balancer and no public record"
  }
  assert {
    condition     = toset(keys(aws_lb_target_group.api)) == toset(["internal_api", "internal_service"]) && length(aws_lb_listener.api) == 2
    error_message = "Internal: only the internal target groups and listeners"
  }
  assert {
    condition     = toset(keys(output.target_group_arns)) == toset(["internal_api", "internal_service"])
    error_message = "Internal: the machine modules register with the internal target groups only"
  }
}
