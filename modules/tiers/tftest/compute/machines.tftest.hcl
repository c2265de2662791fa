# The compute module: `worker_replicas` workers, round robin over the private subnets, and
# no load balancer registration (the ingress controller's own load balancer serves them).
# Written by hand; offline with a mocked provider: `terraform test`.

mock_provider "aws" {}

variables {
  cluster_name                 = "ocp4"
  base_domain                  = "example.com"
  infra_id                     = "ocp4-x7k2q"
  rhcos_ami                    = "ami-0123456789abcdef0"
  ignition_ca                  = "data:text/plain;charset=utf-8;base64,LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
  private_subnet_ids           = ["subnet-1a0000000000000a1", "subnet-1b0000000000000b1", "subnet-1c0000000000000c1"]
  worker_security_group_id     = "sg-0fedcba9876543210"
  lb_security_group_id         = "sg-0aaaaaaaaaaaaaaa1"
  worker_instance_profile_name = "ocp4-x7k2q-worker-profile"
}

run "five_workers_go_round_robin_over_three_subnets" {
  command = plan

  variables {
    worker_replicas      = 5
    worker_instance_type = "m6i.xlarge"
  }

  assert {
    condition     = length(aws_instance.worker) == 5 && tolist([for i in ["0", "1", "2", "3", "4"] : aws_instance.worker[i].subnet_id]) == concat(var.private_subnet_ids, slice(var.private_subnet_ids, 0, 2))
    error_message = "worker i goes to private subnet i mod 3"
  }
  assert {
    condition     = alltrue([for worker in aws_instance.worker : worker.instance_type == "m6i.xlarge" && worker.iam_instance_profile == "ocp4-x7k2q-worker-profile"])
    error_message = "every worker has the pool's type and the worker profile"
  }
}

run "zero_replicas_is_a_valid_pool" {
  command = plan

  variables {
    worker_replicas = 0
  }

  assert {
    condition     = length(aws_instance.worker) == 0
    error_message = "worker_replicas = 0 creates no worker"
  }
}

# From 4.16 every worker also carries the cloud provider's <infra_id>-lb group (configuration/releases.py).
run "workers_carry_the_lb_group_from_4_16" {
  command = plan

  variables {
    worker_replicas                      = 2
    worker_additional_security_group_ids = ["sg-0bbbbbbbbbbbbbbb2"]
  }

  assert {
    condition     = alltrue([for worker in aws_instance.worker : worker.vpc_security_group_ids == toset(["sg-0fedcba9876543210", "sg-0aaaaaaaaaaaaaaa1", "sg-0bbbbbbbbbbbbbbb2"])])
    error_message = "the worker group, the -lb group and the additional one"
  }
}

run "up_to_4_15_workers_have_their_group_only" {
  command = plan

  variables {
    worker_replicas      = 1
    openshift_version    = "4.15"
    lb_security_group_id = null
  }

  assert {
    condition     = aws_instance.worker["0"].vpc_security_group_ids == toset(["sg-0fedcba9876543210"])
    error_message = "4.15: the worker group alone"
  }
}
