# The security module's rule table: one ingress rule per AWS::EC2::SecurityGroupIngress of
# 03_cluster_security.yaml, keyed by its logical ID (SPEC 2.4's tables, with the second names
# the template settles: WorkerIngressMaster*, and WorkerIngressWorkerKube), plus the
# groups' inline rules of the template (ICMP, SSH, API, machine config server), which have no
# logical ID and take names of the same form; ports as the documentation's port table has them.
# Written by hand; offline with a mocked provider: `terraform test`.

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
    condition = toset(keys(aws_vpc_security_group_ingress_rule.cluster)) == toset(concat(
      # The groups' inline rules.
      ["MasterIngressIcmp", "MasterIngressSsh", "MasterIngressApi", "MasterIngressMachineConfig",
      "WorkerIngressIcmp", "WorkerIngressSsh"],
      # Control-plane ingress: etcd, then each port range from the masters and from the workers.
      ["MasterIngressEtcd"],
      flatten([for rule in ["Vxlan", "Internal", "Kube", "IngressServices", "Geneve", "IpsecIke", "IpsecNat", "IpsecEsp",
      "InternalUDP", "IngressServicesUDP"] : ["MasterIngress${rule}", "MasterIngressWorker${rule}"]]),
      # Worker ingress: the second rule of each pair is from the masters, except the kubelet's,
      # which the template names WorkerIngressWorkerKube (SPEC 2.4: the templates settle the names).
      ["WorkerIngressKube", "WorkerIngressWorkerKube"],
      flatten([for rule in ["Vxlan", "Internal", "IngressServices", "Geneve", "IpsecIke", "IpsecNat", "IpsecEsp", "InternalUDP",
      "IngressServicesUDP"] : ["WorkerIngress${rule}", "WorkerIngressMaster${rule}"]]),
    ))
    error_message = "the ingress rules are not SPEC 2.4's: ${join(", ", sort(keys(aws_vpc_security_group_ingress_rule.cluster)))}"
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
