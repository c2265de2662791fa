"""Security tier (03): master and worker security groups and rules, IAM roles and profiles
(or, per pool, an existing instance profile looked up).

The rules are the table below. Names, ports and sources come from the reference
template 03_cluster_security.yaml; where the documentation's names disagree
(SPEC 2.4, worker table), the template's names and sources are used. The
groups' inline rules in the template (from the VPC CIDR) are standalone rules
here, named `<Group>Ingress<Purpose>`. Terraform removes the allow-all egress
rule that AWS gives every new group and that the templates rely on, so it is
declared explicitly (SPEC 3.10).
"""
from __future__ import annotations

from typing import Mapping

from cdktf_cdktf_provider_aws.security_group import SecurityGroup

from ..configuration.releases import lb_group_name, worker_group_tag
from ..configuration.topology import Tier
from ..constructs.cdk import Construct
from ..constructs.hcl import Flag, absent_note, attribute, interpolate, new, optional_count
from ..constructs.iam import MachineRole, profile_policy
from ..constructs.rules import ANY_IPV4, VPC, Peer, Protocol, Rule, security_groups, tcp, udp
from ..constructs.waivers import waive
from .base import TierStack, release_setting
from .inputs import InputSource

MASTER, WORKER, LB = "master", "worker", "lb"
FROM_MASTER, FROM_WORKER = Peer.security_group(MASTER), Peer.security_group(WORKER)

INTERNAL = "Internal cluster communication"
INGRESS_SERVICES = "Kubernetes ingress services"


def _pair(name: str, group: str, make, ports, description: str, other_name: str) -> dict[str, Rule]:
    """The same ports opened twice on `group`: from itself (`name`) and from the other group."""
    other = FROM_WORKER if group == MASTER else FROM_MASTER
    same = FROM_MASTER if group == MASTER else FROM_WORKER
    return {name: make(group, ports, same, description), other_name: make(group, ports, other, description)}


def _esp(group: str, peer: Peer) -> Rule:
    return Rule(group, Protocol.ESP, peer, "IPsec ESP packets")


INGRESS_RULES: dict[str, Rule] = {
    # The template's inline rules: from anywhere in the VPC. ICMP type 0 code 0, as the template has it.
    "MasterIngressIcmp": Rule(MASTER, Protocol.ICMP, VPC, "ICMP from the VPC", 0, 0),
    "MasterIngressSsh": tcp(MASTER, 22, VPC, "SSH from the VPC"),
    "MasterIngressApi": tcp(MASTER, 6443, VPC, "Kubernetes API from the VPC"),
    "MasterIngressMachineConfig": tcp(MASTER, 22623, VPC, "Machine config server from the VPC"),
    "WorkerIngressIcmp": Rule(WORKER, Protocol.ICMP, VPC, "ICMP from the VPC", 0, 0),
    "WorkerIngressSsh": tcp(WORKER, 22, VPC, "SSH from the VPC"),
    # Control plane.
    "MasterIngressEtcd": tcp(MASTER, (2379, 2380), FROM_MASTER, "etcd"),
    **_pair("MasterIngressVxlan", MASTER, udp, 4789, "Vxlan packets", "MasterIngressWorkerVxlan"),
    **_pair("MasterIngressGeneve", MASTER, udp, 6081, "Geneve packets", "MasterIngressWorkerGeneve"),
    **_pair("MasterIngressIpsecIke", MASTER, udp, 500, "IPsec IKE packets", "MasterIngressWorkerIpsecIke"),
    **_pair("MasterIngressIpsecNat", MASTER, udp, 4500, "IPsec NAT-T packets", "MasterIngressWorkerIpsecNat"),
    "MasterIngressIpsecEsp": _esp(MASTER, FROM_MASTER),
    "MasterIngressWorkerIpsecEsp": _esp(MASTER, FROM_WORKER),
    **_pair("MasterIngressInternal", MASTER, tcp, (9000, 9999), INTERNAL, "MasterIngressWorkerInternal"),
    **_pair("MasterIngressInternalUDP", MASTER, udp, (9000, 9999), INTERNAL, "MasterIngressWorkerInternalUDP"),
    **_pair("MasterIngressKube", MASTER, tcp, (10250, 10259),
            "Kubernetes kubelet, scheduler and controller manager", "MasterIngressWorkerKube"),
    **_pair("MasterIngressIngressServices", MASTER, tcp, (30000, 32767), INGRESS_SERVICES,
            "MasterIngressWorkerIngressServices"),
    **_pair("MasterIngressIngressServicesUDP", MASTER, udp, (30000, 32767), INGRESS_SERVICES,
            "MasterIngressWorkerIngressServicesUDP"),
    # Compute. The template's second names mostly say "Master"; the kubelet pair keeps its odd name.
    **_pair("WorkerIngressVxlan", WORKER, udp, 4789, "Vxlan packets", "WorkerIngressMasterVxlan"),
    **_pair("WorkerIngressGeneve", WORKER, udp, 6081, "Geneve packets", "WorkerIngressMasterGeneve"),
    **_pair("WorkerIngressIpsecIke", WORKER, udp, 500, "IPsec IKE packets", "WorkerIngressMasterIpsecIke"),
    **_pair("WorkerIngressIpsecNat", WORKER, udp, 4500, "IPsec NAT-T packets", "WorkerIngressMasterIpsecNat"),
    "WorkerIngressIpsecEsp": _esp(WORKER, FROM_WORKER),
    "WorkerIngressMasterIpsecEsp": _esp(WORKER, FROM_MASTER),
    **_pair("WorkerIngressInternal", WORKER, tcp, (9000, 9999), INTERNAL, "WorkerIngressMasterInternal"),
    **_pair("WorkerIngressInternalUDP", WORKER, udp, (9000, 9999), INTERNAL, "WorkerIngressMasterInternalUDP"),
    "WorkerIngressKube": tcp(WORKER, 10250, FROM_WORKER, "Kubernetes secure kubelet port"),
    "WorkerIngressWorkerKube": tcp(WORKER, 10250, FROM_MASTER, "Internal Kubernetes communication"),
    **_pair("WorkerIngressIngressServices", WORKER, tcp, (30000, 32767), INGRESS_SERVICES,
            "WorkerIngressMasterIngressServices"),
    **_pair("WorkerIngressIngressServicesUDP", WORKER, udp, (30000, 32767), INGRESS_SERVICES,
            "WorkerIngressMasterIngressServicesUDP"),
}

EGRESS_RULES: dict[str, Rule] = {
    "MasterEgressAll": Rule(MASTER, Protocol.ALL, ANY_IPV4, "Allow all egress"),
    "WorkerEgressAll": Rule(WORKER, Protocol.ALL, ANY_IPV4, "Allow all egress"),
    # The cloud provider's group (OpenShift 4.16 on): no ingress of ours; its load balancers' rules are
    # the cluster's to write (configuration/releases.py).
    "LbEgressAll": Rule(LB, Protocol.ALL, ANY_IPV4, "Allow all egress"),
}

GROUP_DESCRIPTIONS = {MASTER: "Cluster Master Security Group", WORKER: "Cluster Worker Security Group"}


class SecurityStack(TierStack):
    tier = Tier.SECURITY

    def __init__(self, scope: Construct, source: InputSource, *,
                 ingress: Mapping[str, Rule] = INGRESS_RULES, egress: Mapping[str, Rule] = EGRESS_RULES):
        super().__init__(scope, source)
        inputs = self.inputs
        infra_id, vpc_id = inputs.infra_id, self.read(Tier.NETWORK, "vpc_id")
        # What the release's MachineSets filter on (configuration/releases.py): the worker group's Name tag
        # (its name stays: a group is renamed only by replacing it), and from 4.16 the `-lb` group.
        worker_tag = worker_group_tag(infra_id, interpolate(release_setting(self, inputs, "worker_group_tag")))
        has_lb = release_setting(self, inputs, "lb_group")
        lb = self._lb_group(infra_id, vpc_id, has_lb)
        groups = security_groups(self, infra_id, vpc_id, GROUP_DESCRIPTIONS, "cluster", ingress, egress,
                                 inputs.vpc_cidr, name_tags={WORKER: worker_tag},
                                 other_groups={} if lb is None else {LB: attribute(lb, "id")},
                                 when={key: has_lb for key, rule in {**ingress, **egress}.items() if rule.group == LB})
        for group in [*groups.values(), *([] if lb is None else [lb])]:
            waive(group, "CKV2_AWS_5", "The groups are attached in other tiers (bootstrap, control-plane, compute), "
                                       "which a scan of one stack cannot see.")
        pools = {MASTER: inputs.control_plane, WORKER: inputs.compute}
        roles = {role: MachineRole(self, role, inputs.infra_id, inputs.partition,
                                   profile_policy(self, role, inputs.iam_profile, inputs.openshift_version,
                                                  release_setting(self, inputs, "master_grants")),
                                   path=inputs.iam_path,
                                   boundary=inputs.iam_permissions_boundary,
                                   existing_profile=pools[role].instance_profile)
                 for role in (MASTER, WORKER)}

        outputs = {}
        for role in (MASTER, WORKER):
            outputs.update({
                f"{role}_security_group_id": (groups[role].id, f"ID of the {role} security group."),
                f"{role}_instance_profile_name": (roles[role].profile_name, f"Name of the {role} instance profile."),
                f"{role}_role_name": (roles[role].role_name, f"Name of the {role} IAM role."),
                f"{role}_role_arn": (roles[role].role_arn, f"ARN of the {role} IAM role."),
            })
        outputs["lb_security_group_id"] = None if lb is None else (
            attribute(lb, "id"), "ID of the cloud provider's security group on masters and workers, <infra_id>-lb, "
                                 f"from OpenShift 4.16{absent_note(has_lb, 'null before')}.")
        self.outputs(outputs)
        self.finish()

    def _lb_group(self, infra_id: str, vpc_id: str, exists: Flag) -> SecurityGroup | None:
        """`<infra_id>-lb`, Cluster API's `lb` role: tagged as the cluster's (`owned`), the only one of a
        machine's groups that is, so the in-cluster cloud provider writes its load balancers' rules there."""
        count = optional_count(exists)
        if count is None:
            return None
        return new(SecurityGroup, self, LB, name=lb_group_name(infra_id), vpc_id=vpc_id,
                   description="Load balancer rules of the cluster's cloud provider",
                   tags={"Name": lb_group_name(infra_id), f"kubernetes.io/cluster/{infra_id}": "owned"}, **count)
