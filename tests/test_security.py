"""Security tier (03): every rule of SPEC 2.4 one by one, the IAM profiles action by action."""
from __future__ import annotations

import json

import pytest

M, W, VPC, ANY = "${aws_security_group.master.id}", "${aws_security_group.worker.id}", "10.0.0.0/16", "0.0.0.0/0"

# Written out from SPEC 2.4 and 03_cluster_security.yaml, not from modules/security.py:
# name -> (group, protocol, from_port, to_port, source). Sources are the template's.
EXPECTED_INGRESS = {
    # The groups' own rules in SPEC 2.4's first table (inline in the template, from the VPC CIDR).
    "MasterIngressIcmp": (M, "icmp", 0, 0, VPC),
    "MasterIngressSsh": (M, "tcp", 22, 22, VPC),
    "MasterIngressApi": (M, "tcp", 6443, 6443, VPC),
    "MasterIngressMachineConfig": (M, "tcp", 22623, 22623, VPC),
    "WorkerIngressIcmp": (W, "icmp", 0, 0, VPC),
    "WorkerIngressSsh": (W, "tcp", 22, 22, VPC),
    # Control-plane ingress.
    "MasterIngressEtcd": (M, "tcp", 2379, 2380, M),
    "MasterIngressVxlan": (M, "udp", 4789, 4789, M),
    "MasterIngressWorkerVxlan": (M, "udp", 4789, 4789, W),
    "MasterIngressInternal": (M, "tcp", 9000, 9999, M),
    "MasterIngressWorkerInternal": (M, "tcp", 9000, 9999, W),
    "MasterIngressKube": (M, "tcp", 10250, 10259, M),
    "MasterIngressWorkerKube": (M, "tcp", 10250, 10259, W),
    "MasterIngressIngressServices": (M, "tcp", 30000, 32767, M),
    "MasterIngressWorkerIngressServices": (M, "tcp", 30000, 32767, W),
    "MasterIngressGeneve": (M, "udp", 6081, 6081, M),
    "MasterIngressWorkerGeneve": (M, "udp", 6081, 6081, W),
    "MasterIngressIpsecIke": (M, "udp", 500, 500, M),
    "MasterIngressWorkerIpsecIke": (M, "udp", 500, 500, W),
    "MasterIngressIpsecNat": (M, "udp", 4500, 4500, M),
    "MasterIngressWorkerIpsecNat": (M, "udp", 4500, 4500, W),
    "MasterIngressIpsecEsp": (M, "50", None, None, M),
    "MasterIngressWorkerIpsecEsp": (M, "50", None, None, W),
    "MasterIngressInternalUDP": (M, "udp", 9000, 9999, M),
    "MasterIngressWorkerInternalUDP": (M, "udp", 9000, 9999, W),
    "MasterIngressIngressServicesUDP": (M, "udp", 30000, 32767, M),
    "MasterIngressWorkerIngressServicesUDP": (M, "udp", 30000, 32767, W),
    # Worker ingress: second members as the template names them, from the master group.
    "WorkerIngressVxlan": (W, "udp", 4789, 4789, W),
    "WorkerIngressMasterVxlan": (W, "udp", 4789, 4789, M),
    "WorkerIngressInternal": (W, "tcp", 9000, 9999, W),
    "WorkerIngressMasterInternal": (W, "tcp", 9000, 9999, M),
    "WorkerIngressKube": (W, "tcp", 10250, 10250, W),
    "WorkerIngressWorkerKube": (W, "tcp", 10250, 10250, M),
    "WorkerIngressIngressServices": (W, "tcp", 30000, 32767, W),
    "WorkerIngressMasterIngressServices": (W, "tcp", 30000, 32767, M),
    "WorkerIngressGeneve": (W, "udp", 6081, 6081, W),
    "WorkerIngressMasterGeneve": (W, "udp", 6081, 6081, M),
    "WorkerIngressIpsecIke": (W, "udp", 500, 500, W),
    "WorkerIngressMasterIpsecIke": (W, "udp", 500, 500, M),
    "WorkerIngressIpsecNat": (W, "udp", 4500, 4500, W),
    "WorkerIngressMasterIpsecNat": (W, "udp", 4500, 4500, M),
    "WorkerIngressIpsecEsp": (W, "50", None, None, W),
    "WorkerIngressMasterIpsecEsp": (W, "50", None, None, M),
    "WorkerIngressInternalUDP": (W, "udp", 9000, 9999, W),
    "WorkerIngressMasterInternalUDP": (W, "udp", 9000, 9999, M),
    "WorkerIngressIngressServicesUDP": (W, "udp", 30000, 32767, W),
    "WorkerIngressMasterIngressServicesUDP": (W, "udp", 30000, 32767, M),
}


def rule_rows(synthesized, name="default", direction="ingress"):
    resource = synthesized.resources(name, "security", f"aws_vpc_security_group_{direction}_rule")["cluster"]
    return resource, resource["for_each"]


def as_tuple(row):
    source = row.get("referenced_security_group_id", row.get("cidr_ipv4"))
    return row["security_group_id"], row["ip_protocol"], row.get("from_port"), row.get("to_port"), source


@pytest.mark.parametrize("rule", sorted(EXPECTED_INGRESS))
def test_each_documented_rule(synthesized, rule):
    _, rows = rule_rows(synthesized)
    assert as_tuple(rows[rule]) == EXPECTED_INGRESS[rule]
    assert rows[rule]["description"]


def test_rule_counts_per_group(synthesized):
    _, rows = rule_rows(synthesized)
    assert set(rows) == set(EXPECTED_INGRESS)
    groups = [row["security_group_id"] for row in rows.values()]
    # Master: 4 own rules, etcd, 10 pairs; worker: 2 own rules, 10 pairs (SPEC 2.4).
    assert (groups.count(M), groups.count(W)) == (4 + 1 + 2 * 10, 2 + 2 * 10)


def test_esp_has_no_ports_and_a_row_has_one_source(synthesized):
    _, rows = rule_rows(synthesized)
    assert "from_port" not in rows["MasterIngressIpsecEsp"] and "to_port" not in rows["MasterIngressIpsecEsp"]
    for key, row in rows.items():
        assert ("cidr_ipv4" in row) != ("referenced_security_group_id" in row), key


def test_rule_resource_reads_optional_columns(synthesized):
    resource, _ = rule_rows(synthesized)
    assert resource["from_port"] == '${lookup(each.value, "from_port", null)}'
    assert resource["referenced_security_group_id"] == '${lookup(each.value, "referenced_security_group_id", null)}'
    assert resource["security_group_id"] == "${each.value.security_group_id}"


def test_every_group_declares_allow_all_egress(synthesized):
    _, rows = rule_rows(synthesized, direction="egress")
    lb = "${aws_security_group.lb.id}"  # the cloud provider's group of the default release (4.22)
    assert {as_tuple(row) for row in rows.values()} == {(M, "-1", None, None, ANY), (W, "-1", None, None, ANY),
                                                        (lb, "-1", None, None, ANY)}


def test_groups_have_no_inline_rules_and_live_in_the_cluster_vpc(synthesized):
    groups = synthesized.resources("default", "security", "aws_security_group")
    assert set(groups) == {"master", "worker", "lb"}
    for role, group in groups.items():
        assert "ingress" not in group and "egress" not in group
        assert group["vpc_id"] == "${data.terraform_remote_state.network.outputs.vpc_id}"
    # Names as 03_cluster_security.yaml's groups; Name tags as the default release's MachineSets filter.
    assert {role: (g["name"], g["tags"]["Name"]) for role, g in groups.items()} == {
        "master": ("ocp4-x7k2q-master-sg", "ocp4-x7k2q-master-sg"),
        "worker": ("ocp4-x7k2q-worker-sg", "ocp4-x7k2q-node"), "lb": ("ocp4-x7k2q-lb", "ocp4-x7k2q-lb")}


def test_network_outputs_come_from_the_network_state(synthesized):
    remote = synthesized.stack("default", "security")["data"]["terraform_remote_state"]["network"]
    assert remote["backend"] == "s3"
    assert remote["config"]["key"] == "ocp-upi-tf/ocp4/network/terraform.tfstate"
    assert remote["config"]["bucket"] == "ocp4-x7k2q-tfstate"


def test_changing_one_rule_changes_one_resource_instance(synthesized):
    from modules.constructs.cdk import App, Testing
    from modules.constructs.rules import tcp
    from modules.constructs.rules import VPC
    from modules.tiers.inputs import FromConfiguration
    from modules.tiers.security import INGRESS_RULES, SecurityStack

    def rule_resource(ingress):
        stack = SecurityStack(App(), FromConfiguration(synthesized.configs["default"]), ingress=ingress)
        return json.loads(Testing.synth(stack))["resource"]["aws_vpc_security_group_ingress_rule"]["cluster"]

    base = rule_resource(INGRESS_RULES)
    changed = rule_resource({**INGRESS_RULES, "MasterIngressSsh": tcp("master", 2222, VPC, "SSH from the VPC")})
    rows_before, rows_after = base.pop("for_each"), changed.pop("for_each")
    assert {k for k in rows_before if rows_before[k] != rows_after[k]} == {"MasterIngressSsh"}
    assert rows_after["MasterIngressSsh"]["from_port"] == 2222
    assert base == changed  # nothing else about the resource moved
    removed = rule_resource({k: v for k, v in INGRESS_RULES.items() if k != "WorkerIngressGeneve"})["for_each"]
    assert rows_before.keys() - removed.keys() == {"WorkerIngressGeneve"}


# ---------------------------------------------------------------- IAM

LEAST_PRIVILEGE_MASTER = {
    "ec2:AttachVolume", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateSecurityGroup", "ec2:CreateTags",
    "ec2:CreateVolume", "ec2:DeleteSecurityGroup", "ec2:DeleteVolume", "ec2:Describe*", "ec2:DetachVolume",
    "ec2:ModifyInstanceAttribute", "ec2:ModifyVolume", "ec2:RevokeSecurityGroupIngress",
    "elasticloadbalancing:AddTags", "elasticloadbalancing:AttachLoadBalancerToSubnets",
    "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer", "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateLoadBalancerPolicy",
    "elasticloadbalancing:CreateLoadBalancerListeners", "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:ConfigureHealthCheck", "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteLoadBalancerListeners",
    "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
    "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:Describe*",
    "elasticloadbalancing:DetachLoadBalancerFromSubnets", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
    "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
    "elasticloadbalancing:SetLoadBalancerPoliciesOfListener", "kms:DescribeKey",
}


def granted(synthesized, name, role):
    """(action, resource) pairs the role's inline policy allows."""
    policy = json.loads(synthesized.resources(name, "security", "aws_iam_role_policy")[role]["policy"])
    pairs = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        pairs |= {(action, statement["Resource"]) for action in actions}
    return pairs


def test_least_privilege_grants_what_the_current_template_grants(synthesized):
    assert granted(synthesized, "default", "master") == {(a, "*") for a in LEAST_PRIVILEGE_MASTER}
    assert granted(synthesized, "default", "worker") == {("ec2:DescribeInstances", "*"), ("ec2:DescribeRegions", "*")}


def test_documented_profile_grants_exactly_spec_2_5(synthesized):
    assert granted(synthesized, "documented", "master") == {
        ("ec2:*", "*"), ("elasticloadbalancing:*", "*"), ("iam:PassRole", "*"), ("s3:GetObject", "*")}
    assert granted(synthesized, "documented", "worker") == {("ec2:Describe*", "*")}


@pytest.mark.parametrize("name, principal", [
    ("default", "ec2.amazonaws.com"), ("govcloud", "ec2.amazonaws.com"), ("china", "ec2.amazonaws.com.cn")])
def test_roles_trust_the_ec2_service_of_the_partition(synthesized, name, principal):
    for role in ("master", "worker"):
        trust = json.loads(synthesized.resources(name, "security", "aws_iam_role")[role]["assume_role_policy"])
        assert trust["Statement"] == [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                       "Principal": {"Service": principal}}]
    # Policies grant on "*"; no ARN, and so no partition, is written anywhere in the tier.
    assert "arn:" not in json.dumps(synthesized.stack(name, "security"))


def test_policies_render_stably(synthesized):
    policy = synthesized.resources("default", "security", "aws_iam_role_policy")["master"]["policy"]
    document = json.loads(policy)
    assert document["Statement"][0]["Action"] == sorted(document["Statement"][0]["Action"])
    assert policy == json.dumps(document, sort_keys=True, separators=(",", ":"))


def test_profiles_wrap_their_roles_and_outputs_name_them(synthesized):
    stack = synthesized.stack("default", "security")
    profiles = stack["resource"]["aws_iam_instance_profile"]
    for role in ("master", "worker"):
        assert profiles[role]["role"] == f"${{aws_iam_role.{role}.name}}"
        assert profiles[role]["name"] == f"ocp4-x7k2q-{role}-profile"
    assert set(stack["output"]) == {f"{role}_{what}" for role in ("master", "worker") for what in
                                    ("security_group_id", "instance_profile_name", "role_name", "role_arn")} | {
        "lb_security_group_id"}


def test_reading_another_tier_takes_no_lock_table(synthesized):
    remote = synthesized.stack("restricted", "security")["data"]["terraform_remote_state"]["network"]["config"]
    assert "dynamodb_table" not in remote
    assert remote["endpoints"] == {"s3": "http://127.0.0.1:5000", "sts": "http://127.0.0.1:5000"}
