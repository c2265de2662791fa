# The ingress module: `*.apps` alias records in the private zone and, when External, the public
# zone, to the load balancer the cluster's cloud provider made for the router's Service (tagged
# kubernetes.io/service-name and kubernetes.io/cluster/<infra_id>: owned), a Classic ELB or an NLB;
# none, and a failed check that says why, until exactly one such load balancer exists.
# Written by hand; offline with a mocked provider: `terraform test`.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_route53_zone" {
    defaults = { zone_id = "ZPUBLIC00000000000000" }
  }
}

variables {
  cluster_name            = "ocp4"
  base_domain             = "example.com"
  infra_id                = "ocp4-x7k2q"
  cluster_private_zone_id = "ZPRIVATE0000000000000"
}

run "before_the_router_exists_there_is_no_record_and_the_check_says_why" {
  command = plan

  override_data {
    target = data.aws_resourcegroupstaggingapi_resources.cluster_load_balancers
    values = { resource_tag_mapping_list = [] }
  }

  expect_failures = [check.router_load_balancer]

  assert {
    condition     = length(aws_route53_record.apps_private) == 0 && length(aws_route53_record.apps_public) == 0 && length(aws_route53_record.apps_private_cname) == 0
    error_message = "no record while the router has no load balancer"
  }
}

run "a_classic_router_gets_an_alias_in_both_zones" {
  command = plan

  override_data {
    target = data.aws_resourcegroupstaggingapi_resources.cluster_load_balancers
    values = { resource_tag_mapping_list = [
      { resource_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/a1b2c3d4e5f60718293a4b5c6d7e8f90",
      tags = { "kubernetes.io/service-name" = "openshift-ingress/router-default", "kubernetes.io/cluster/ocp4-x7k2q" = "owned" } },
      # Another Service's load balancer of the same cluster: not the router's.
      { resource_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a9f8e7d6c5b4a39281706f5e4d3c2b1a/0123456789abcdef",
      tags = { "kubernetes.io/service-name" = "shop/frontend", "kubernetes.io/cluster/ocp4-x7k2q" = "owned" } },
    ] }
  }
  override_data {
    target = data.aws_elb.router[0]
    values = { dns_name = "a1b2c3d4e5f60718293a4b5c6d7e8f90-1234567890.us-east-1.elb.amazonaws.com", zone_id = "Z35SXDOTRQ7X7K" }
  }

  assert {
    condition     = data.aws_resourcegroupstaggingapi_resources.cluster_load_balancers.tag_filter[0].key == "kubernetes.io/cluster/ocp4-x7k2q" && data.aws_resourcegroupstaggingapi_resources.cluster_load_balancers.tag_filter[0].values == toset(["owned"])
    error_message = "only the cluster's own load balancers are candidates"
  }
  assert {
    condition     = length(data.aws_elb.router) == 1 && length(data.aws_lb.router) == 0 && data.aws_elb.router[0].name == "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    error_message = "a Classic ELB is read by the name its ARN ends with"
  }
  assert {
    condition = alltrue([for record in [aws_route53_record.apps_private[0], aws_route53_record.apps_public[0]] :
      record.name == "*.apps.ocp4.example.com" && record.type == "A"
      && record.alias[0].name == "a1b2c3d4e5f60718293a4b5c6d7e8f90-1234567890.us-east-1.elb.amazonaws.com"
    && record.alias[0].zone_id == "Z35SXDOTRQ7X7K" && !record.alias[0].evaluate_target_health])
    error_message = "*.apps is an alias of the router's load balancer in both zones"
  }
  assert {
    condition     = aws_route53_record.apps_private[0].zone_id == "ZPRIVATE0000000000000" && aws_route53_record.apps_public[0].zone_id == "ZPUBLIC00000000000000"
    error_message = "one record in the cluster's private zone, one in the base domain's public zone"
  }
  assert {
    condition     = length(aws_route53_record.apps_private_cname) == 0
    error_message = "no CNAME outside aws-us-gov"
  }
}

run "an_nlb_router_of_an_internal_cluster_gets_the_private_record_only" {
  command = plan

  variables {
    publish = "Internal"
  }

  override_data {
    target = data.aws_resourcegroupstaggingapi_resources.cluster_load_balancers
    values = { resource_tag_mapping_list = [
      { resource_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a0f1e2d3c4b5a69788796a5b4c3d2e1f/fedcba9876543210",
      tags = { "kubernetes.io/service-name" = "openshift-ingress/router-default", "kubernetes.io/cluster/ocp4-x7k2q" = "owned" } },
    ] }
  }
  override_data {
    target = data.aws_lb.router[0]
    values = { dns_name = "a0f1e2d3c4b5a69788796a5b4c3d2e1f-fedcba9876543210.elb.us-east-1.amazonaws.com", zone_id = "Z26RNL4JYFTOTI" }
  }

  assert {
    condition     = length(data.aws_lb.router) == 1 && length(data.aws_elb.router) == 0
    error_message = "an NLB is read by its ARN"
  }
  assert {
    condition     = aws_route53_record.apps_private[0].alias[0].zone_id == "Z26RNL4JYFTOTI" && length(aws_route53_record.apps_public) == 0
    error_message = "Internal: the private record only"
  }
}

run "a_named_load_balancer_is_taken_whatever_service_it_serves" {
  command = plan

  variables {
    ingress_load_balancer = "a9f8e7d6c5b4a39281706f5e4d3c2b1a"
  }

  override_data {
    target = data.aws_resourcegroupstaggingapi_resources.cluster_load_balancers
    values = { resource_tag_mapping_list = [
      { resource_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/a1b2c3d4e5f60718293a4b5c6d7e8f90",
      tags = { "kubernetes.io/service-name" = "openshift-ingress/router-default" } },
      { resource_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a9f8e7d6c5b4a39281706f5e4d3c2b1a/0123456789abcdef",
      tags = { "kubernetes.io/service-name" = "openshift-ingress/router-sharded" } },
    ] }
  }
  override_data {
    target = data.aws_lb.router[0]
    values = { dns_name = "sharded.elb.us-east-1.amazonaws.com", zone_id = "Z26RNL4JYFTOTI" }
  }

  assert {
    condition     = output.router_load_balancer_arn == "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a9f8e7d6c5b4a39281706f5e4d3c2b1a/0123456789abcdef"
    error_message = "the load balancer named is the one the records point at"
  }
}

run "two_router_load_balancers_make_no_record" {
  command = plan

  override_data {
    target = data.aws_resourcegroupstaggingapi_resources.cluster_load_balancers
    values = { resource_tag_mapping_list = [
      { resource_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/a1b2c3d4e5f60718293a4b5c6d7e8f90",
      tags = { "kubernetes.io/service-name" = "openshift-ingress/router-default" } },
      { resource_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a0f1e2d3c4b5a69788796a5b4c3d2e1f/fedcba9876543210",
      tags = { "kubernetes.io/service-name" = "openshift-ingress/router-default" } },
    ] }
  }

  expect_failures = [check.router_load_balancer]

  assert {
    condition     = length(aws_route53_record.apps_private) == 0 && output.router_load_balancer_arn == null
    error_message = "an ambiguous router (its Service changing type, say) makes no record: name one with ingress_load_balancer"
  }
}
