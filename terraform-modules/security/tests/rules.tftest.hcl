# The security module's rule table: one ingress rule per AWS::EC2::SecurityGroupIngress of
# 03_cluster_security.yaml, keyed by its logical ID, with the ports of the documentation's
# network port table. Written by hand; offline with a mocked provider: `terraform test`.

mock_provider "aws" {}

variables {
  infra_id = "ocp4-x7k2q"
  vpc_id   = "vpc-0123456789abcdef0"
}

run "every_rule_of_the_reference_template_is_keyed_by_its_logical_id" {
  command = plan

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.cluster) == 47 && length(aws_vpc_security_group_egress_rule.cluster) == 2
    error_message = "expected the reference template's 47 ingress rules and one egress rule per group"
  }
  assert {
    condition     = alltrue([for key in keys(aws_vpc_security_group_ingress_rule.cluster) : can(regex("^(Master|Worker)Ingress[A-Za-z]+$", key))])
    error_message = "every ingress rule is keyed MasterIngress* or WorkerIngress*, as the template names them"
  }
  assert {
    condition     = length([for key in keys(aws_vpc_security_group_ingress_rule.cluster) : key if startswith(key, "MasterIngress")]) == 25
    error_message = "expected 25 master and 22 worker ingress rules (SPEC 2.4)"
  }
}

run "the_documented_ports" {
  command = plan

  variables {
    vpc_cidr = "10.1.0.0/16"
  }

  assert {
    condition = (aws_vpc_security_group_ingress_rule.cluster["MasterIngressEtcd"].from_port == 2379
      && aws_vpc_security_group_ingress_rule.cluster["MasterIngressEtcd"].to_port == 2380
    && aws_vpc_security_group_ingress_rule.cluster["MasterIngressEtcd"].ip_protocol == "tcp")
    error_message = "etcd: TCP 2379-2380"
  }
  assert {
    condition = (aws_vpc_security_group_ingress_rule.cluster["MasterIngressApi"].from_port == 6443
    && aws_vpc_security_group_ingress_rule.cluster["MasterIngressApi"].cidr_ipv4 == "10.1.0.0/16")
    error_message = "the Kubernetes API: TCP 6443 from the VPC CIDR"
  }
  assert {
    condition = (aws_vpc_security_group_ingress_rule.cluster["MasterIngressMachineConfig"].from_port == 22623
    && aws_vpc_security_group_ingress_rule.cluster["MasterIngressMachineConfig"].cidr_ipv4 == "10.1.0.0/16")
    error_message = "the machine config server: TCP 22623 from the VPC CIDR"
  }
  assert {
    condition = alltrue([for key in ["MasterIngressVxlan", "WorkerIngressVxlan"] : aws_vpc_security_group_ingress_rule.cluster[key].from_port == 4789
    && aws_vpc_security_group_ingress_rule.cluster[key].ip_protocol == "udp"])
    error_message = "VXLAN: UDP 4789"
  }
  assert {
    condition = alltrue([for key in ["MasterIngressGeneve", "WorkerIngressGeneve"] : aws_vpc_security_group_ingress_rule.cluster[key].from_port == 6081
    && aws_vpc_security_group_ingress_rule.cluster[key].ip_protocol == "udp"])
    error_message = "Geneve: UDP 6081"
  }
  assert {
    condition = alltrue([for key in ["WorkerIngressIngressServices", "WorkerIngressIngressServicesUDP"] : aws_vpc_security_group_ingress_rule.cluster[key].from_port == 30000
    && aws_vpc_security_group_ingress_rule.cluster[key].to_port == 32767])
    error_message = "Kubernetes node ports: 30000-32767, TCP and UDP"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.cluster["WorkerIngressKube"].from_port == 10250 && aws_vpc_security_group_ingress_rule.cluster["WorkerIngressKube"].to_port == 10250
    error_message = "kubelet: TCP 10250"
  }
}
