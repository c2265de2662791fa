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
    condition     = length(aws_vpc_security_group_ingress_rule.cluster) == 47 && length(aws_vpc_security_group_egress_rule.cluster) == 3
    error_message = "expected the reference template's 47 ingress rules and one egress rule per group (master, worker, lb)"
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

# What the release's worker MachineSets filter on (configuration/releases.py): up to 4.15 the worker
# group's Name is <infra_id>-worker-sg and there is no -lb group; from 4.16 it is <infra_id>-node, and
# <infra_id>-lb holds the cloud provider's rules (tagged owned, no ingress of ours). The groups keep
# their names (AWS replaces a group to rename it); 4.23 and 5.0 grant the masters SetSecurityGroups.
run "up_to_4_15_one_worker_group_named_as_the_installer_s_terraform" {
  command = plan

  variables {
    openshift_version = "4.15"
  }

  assert {
    condition     = aws_security_group.worker.tags["Name"] == "ocp4-x7k2q-worker-sg" && length(aws_security_group.lb) == 0 && length(aws_vpc_security_group_egress_rule.cluster) == 2
    error_message = "4.15: the worker group is tagged <infra_id>-worker-sg, and there is no -lb group"
  }
  assert {
    condition     = output.lb_security_group_id == null
    error_message = "4.15: no -lb group to hand the machines"
  }
}

run "from_4_16_the_node_and_lb_groups_of_cluster_api" {
  command = plan

  variables {
    openshift_version = "4.16"
  }

  assert {
    condition     = aws_security_group.worker.tags["Name"] == "ocp4-x7k2q-node" && aws_security_group.worker.name == "ocp4-x7k2q-worker-sg"
    error_message = "4.16: the worker group is tagged <infra_id>-node and keeps its name"
  }
  assert {
    condition = (aws_security_group.lb[0].name == "ocp4-x7k2q-lb" && aws_security_group.lb[0].tags["Name"] == "ocp4-x7k2q-lb"
    && aws_security_group.lb[0].tags["kubernetes.io/cluster/ocp4-x7k2q"] == "owned")
    error_message = "4.16: <infra_id>-lb, the one group tagged as the cluster's"
  }
  assert {
    condition     = !contains(keys(aws_security_group.master.tags), "kubernetes.io/cluster/ocp4-x7k2q") && !contains(keys(aws_security_group.worker.tags), "kubernetes.io/cluster/ocp4-x7k2q")
    error_message = "the cloud provider needs exactly one tagged group per machine: the -lb one"
  }
  assert {
    condition     = length([for key, rule in aws_vpc_security_group_ingress_rule.cluster : key if startswith(key, "Lb")]) == 0 && aws_vpc_security_group_egress_rule.cluster["LbEgressAll"].ip_protocol == "-1"
    error_message = "the -lb group has no ingress rule of ours, and allows all egress"
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.master[0].policy, "elasticloadbalancing:SetSecurityGroups")
    error_message = "4.16: no SetSecurityGroups for the masters"
  }
}

run "releases_4_23_and_5_0_grant_the_masters_set_security_groups" {
  command = plan

  variables {
    openshift_version = "5.0"
  }

  assert {
    condition     = contains(jsondecode(aws_iam_role_policy.master[0].policy).Statement[0].Action, "elasticloadbalancing:SetSecurityGroups")
    error_message = "5.0: the cloud controller may set security groups on its load balancers"
  }
  assert {
    condition     = length(jsondecode(aws_iam_role_policy.master[0].policy).Statement[0].Action) == 39
    error_message = "5.0: the installer's 38 master actions, and SetSecurityGroups"
  }
}

run "the_documented_profile_is_the_same_for_every_release" {
  command = plan

  variables {
    openshift_version = "5.0"
    iam_profile       = "documented"
  }

  assert {
    condition     = [for statement in jsondecode(aws_iam_role_policy.master[0].policy).Statement : statement.Action] == ["ec2:*", "elasticloadbalancing:*", "iam:PassRole", "s3:GetObject"]
    error_message = "documented: SPEC 2.5's table, whatever the release"
  }
}
