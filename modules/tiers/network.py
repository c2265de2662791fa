"""Network tier (01): the cluster VPC, as the reference template 01_vpc.yaml builds it.

Per AZ: a public and a private subnet carved from `vpc_cidr` (public block i,
private block 3 + i, each of `subnet_bits` host bits), a private route table and,
unless dropped, a NAT gateway with its EIP. Shared: the internet gateway, one
public route table, and the S3 gateway endpoint on every route table. Optional:
the public network ACL (SPEC 3.4) and the restricted-network interface endpoints
(SPEC 3.5).

Every per-AZ resource is one `for_each` resource keyed by AZ name, so adding an
AZ adds that AZ's instances and only updates lists that name every AZ.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.network_acl import NetworkAcl
from cdktf_cdktf_provider_aws.network_acl_association import NetworkAclAssociation
from cdktf_cdktf_provider_aws.network_acl_rule import NetworkAclRule
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from ..configuration.cluster import PRIVATE_BLOCK_OFFSET
from ..configuration.releases import subnet_name
from ..configuration.topology import Tier
from ..constructs.cdk import Construct, Fn, Op, Token
from ..constructs.hcl import address, attribute, each_ref, interpolate, new, optional_count, rows_where
from ..constructs.waivers import waive
from .base import TierStack, release_setting
from .edge_network import EdgeSubnets, has_edge_zones
from .existing_network import ExistingNetwork
from .inputs import InputSource, TierInputs

ANYWHERE = "0.0.0.0/0"
VPC_CIDR = "vpc"  # stands for the VPC's own CIDR in the rule tables below

# Interface endpoints a restricted network needs so nodes reach the AWS APIs
# without a NAT gateway (SPEC 2.1, plus sts for the cluster's credentials).
INTERFACE_ENDPOINT_SERVICES = ("ec2", "elasticloadbalancing", "sts")


@dataclass(frozen=True)
class AclRule:
    rule_number: int
    egress: bool
    protocol: str  # "tcp", "udp", "icmp" or "-1" for all
    from_port: int
    to_port: int
    cidr_block: str
    purpose: str


# The documented ports (SPEC 2.2) plus what the reference's TCP-only ACL lacked
# and the cluster needs (SPEC 3.4): UDP and ICMP return traffic through the NAT
# gateways (DNS, NTP, path MTU discovery), all traffic inside the VPC, and
# egress of every protocol.
NETWORK_ACL_RULES: dict[str, AclRule] = {
    "inbound-http": AclRule(100, False, "tcp", 80, 80, ANYWHERE, "inbound HTTP"),
    "inbound-https": AclRule(101, False, "tcp", 443, 443, ANYWHERE, "inbound HTTPS"),
    "inbound-ssh": AclRule(102, False, "tcp", 22, 22, ANYWHERE, "inbound SSH"),
    "inbound-ephemeral-tcp": AclRule(103, False, "tcp", 1024, 65535, ANYWHERE, "inbound ephemeral"),
    "inbound-ephemeral-udp": AclRule(104, False, "udp", 1024, 65535, ANYWHERE, "UDP replies (DNS, NTP)"),
    "inbound-icmp": AclRule(105, False, "icmp", -1, -1, ANYWHERE, "ICMP, for path MTU discovery"),
    "inbound-vpc": AclRule(106, False, "-1", 0, 0, VPC_CIDR, "all traffic inside the VPC"),
    "outbound-all": AclRule(100, True, "-1", 0, 0, ANYWHERE, "outbound ephemeral, every protocol"),
}


class Network(Construct):
    """The cluster VPC and everything in it, from the network part of a tier's inputs."""

    def __init__(self, scope: Construct, inputs: TierInputs):
        super().__init__(scope, "network")
        self.inputs = inputs
        self._vpc()
        self._subnets()
        self.edge = EdgeSubnets(self, inputs, self.vpc.id, self.public_route_table, self.private_route_tables) \
            if has_edge_zones(inputs) else None
        self._nat_gateways()
        self._s3_endpoint()
        self._network_acl()
        self._interface_endpoints()

    def _vpc(self) -> None:
        name = self.inputs.infra_id
        self.vpc = new(Vpc, self, "cluster", cidr_block=self.inputs.vpc_cidr, enable_dns_support=True,
                       enable_dns_hostnames=True, tags={"Name": f"{name}-vpc"})
        waive(self.vpc, "CKV2_AWS_11", "Flow logs need a destination and a retention the operator chooses; the "
                                       "reference template has none.")
        waive(self.vpc, "CKV2_AWS_12", "Nothing uses the VPC's default group (every machine has its tier's groups); "
                                       "closing it (aws_default_security_group) is not yet tested on the emulator.")
        self.internet_gateway = new(InternetGateway, self, "igw.cluster", vpc_id=self.vpc.id,
                                    tags={"Name": f"{name}-igw"})
        self.public_route_table = new(RouteTable, self, "route_table.public", vpc_id=self.vpc.id,
                                      tags={"Name": f"{name}-public"})
        new(Route, self, "public_internet", route_table_id=self.public_route_table.id,
            destination_cidr_block=ANYWHERE, gateway_id=self.internet_gateway.id)

    def _subnets(self) -> None:
        """Per AZ: a public subnet (block i) and a private one (block 3 + i) with its route table."""
        i, name = self.inputs, self.inputs.infra_id
        azs = rows_where(self, "azs", True, i.zones)
        position = Token.as_number(azs.value)
        cluster_tag = {f"kubernetes.io/cluster/{name}": "shared"}
        # `<infra_id>-[subnet-]<public|private>-<az>`: what the release's MachineSets filter on (releases.py).
        prefix = interpolate(release_setting(self, i, "subnet_prefix"))
        self.public_subnets = new(Subnet, self, "public", for_each=azs, vpc_id=self.vpc.id, availability_zone=azs.key,
            cidr_block=Fn.cidrsubnet(i.vpc_cidr, i.subnet_newbits, position),
            tags={"Name": subnet_name(name, prefix, "public", "${each.key}"), "kubernetes.io/role/elb": "1",
                  **cluster_tag})
        new(RouteTableAssociation, self, "association.public", for_each=azs,
            subnet_id=each_ref(self.public_subnets, "id"), route_table_id=self.public_route_table.id)

        self.private_subnets = new(Subnet, self, "private", for_each=azs, vpc_id=self.vpc.id, availability_zone=azs.key,
            cidr_block=Fn.cidrsubnet(i.vpc_cidr, i.subnet_newbits, Op.add(position, PRIVATE_BLOCK_OFFSET)),
            tags={"Name": subnet_name(name, prefix, "private", "${each.key}"), "kubernetes.io/role/internal-elb": "1",
                  **cluster_tag})
        self.private_route_tables = new(RouteTable, self, "route_table.private", for_each=azs, vpc_id=self.vpc.id,
                                        tags={"Name": f"{name}-private-${{each.key}}"})
        new(RouteTableAssociation, self, "association.private", for_each=azs,
            subnet_id=each_ref(self.private_subnets, "id"), route_table_id=each_ref(self.private_route_tables, "id"))

    def _s3_endpoint(self) -> None:
        """The S3 gateway endpoint on every route table, always (SPEC 3.5); the carrier table's too."""
        carrier = self.edge.route_table_ids() if self.edge is not None else None
        self.s3_endpoint = new(VpcEndpoint, self, "s3", vpc_id=self.vpc.id, vpc_endpoint_type="Gateway",
            service_name=f"com.amazonaws.{self.inputs.region}.s3",
            route_table_ids=Token.as_list(
                f"${{concat([{address(self.public_route_table)}.id], {self.list_of(self.private_route_tables, 'id')}"
                f"{f', {carrier}' if carrier else ''})}}"),
            tags={"Name": f"{self.inputs.infra_id}-s3"})

    def list_of(self, resource: Any, attribute: str) -> str:
        """HCL for `attribute` of every instance of a per-AZ resource, in AZ block order."""
        return f"[for az in {self.inputs.zone_list} : {address(resource)}[az].{attribute}]"

    # What the tier's outputs read; `ExistingNetwork` has the same (the network tier's two VPCs).
    vpc_id = property(lambda self: self.vpc.id)
    vpc_cidr = property(lambda self: self.vpc.cidr_block)
    public_route_table_id = property(lambda self: self.public_route_table.id)

    def ids(self, role: str, kind: str = "subnets") -> str:
        """HCL: the IDs of the `role` subnets (or their route tables), in AZ order."""
        if kind == "subnets":
            return self.list_of(self.public_subnets if role == "public" else self.private_subnets, "id")
        return self.list_of(self.private_route_tables, "id")  # the public route table is one

    def _nat_gateways(self) -> None:
        name = self.inputs.infra_id
        azs = rows_where(self, "nat_azs", self.inputs.nat_gateways, self.inputs.zones)
        if azs is None:
            return
        self.nat_eips = new(Eip, self, "nat", for_each=azs, domain="vpc", depends_on=[self.internet_gateway],
                            tags={"Name": f"{name}-nat-${{each.key}}"})
        self.nat_gateways = new(NatGateway, self, "gateway.nat", for_each=azs,
                                       allocation_id=each_ref(self.nat_eips, "id"),
                                       subnet_id=each_ref(self.public_subnets, "id"),
                                       depends_on=[self.internet_gateway],
                                       tags={"Name": f"{name}-nat-${{each.key}}"})
        new(Route, self, "private_nat", for_each=azs, route_table_id=each_ref(self.private_route_tables, "id"),
              destination_cidr_block=ANYWHERE, nat_gateway_id=each_ref(self.nat_gateways, "id"))

    def _network_acl(self) -> None:
        i = self.inputs
        count = optional_count(i.network_acl)
        if count is None:
            return
        acl = new(NetworkAcl, self, "nacl.public", vpc_id=self.vpc.id, tags={"Name": f"{i.infra_id}-public"}, **count)
        waive(acl, "CKV2_AWS_1", "The ACL is attached to every public subnet by aws_network_acl_association.public "
                                 "(and .edge_public), for_each resources the check does not follow.")
        acl_id = attribute(acl, "id")
        rules = rows_where(self, "network_acl_rules", i.network_acl, {
            key: {**rule.__dict__, "cidr_block": i.vpc_cidr if rule.cidr_block == VPC_CIDR else rule.cidr_block}
            for key, rule in NETWORK_ACL_RULES.items()})
        new(NetworkAclRule, self, "rule.public", for_each=rules, network_acl_id=acl_id,
                       rule_number=rules.get_number("rule_number"), egress=rules.get_boolean("egress"),
                       protocol=rules.get_string("protocol"), rule_action="allow",
                       cidr_block=rules.get_string("cidr_block"),
                       from_port=Token.as_number("${each.value.protocol == \"icmp\" ? null : each.value.from_port}"),
                       to_port=Token.as_number("${each.value.protocol == \"icmp\" ? null : each.value.to_port}"),
                       icmp_type=Token.as_number("${each.value.protocol == \"icmp\" ? -1 : null}"),
                       icmp_code=Token.as_number("${each.value.protocol == \"icmp\" ? -1 : null}"))
        new(NetworkAclAssociation, self, "nacl_association.public",
            for_each=rows_where(self, "network_acl_azs", i.network_acl, i.zones), network_acl_id=acl_id,
            subnet_id=each_ref(self.public_subnets, "id"))
        if self.edge is not None:  # the edge zones' public subnets are public too
            new(NetworkAclAssociation, self, "nacl_association.edge_public",
                for_each=rows_where(self, "network_acl_edge_zones", i.network_acl, i.edge_zones),
                network_acl_id=acl_id, subnet_id=each_ref(self.edge.public, "id"))

    def _interface_endpoints(self) -> None:
        i = self.inputs
        count = optional_count(i.restricted_network)
        if count is None:
            return
        group = new(SecurityGroup, self, "endpoints", name=f"{i.infra_id}-vpce", vpc_id=self.vpc.id,
                    description="HTTPS from the cluster VPC to the AWS API endpoints",
                    tags={"Name": f"{i.infra_id}-vpce"}, **count)
        group_id = attribute(group, "id")
        new(VpcSecurityGroupIngressRule, self, "endpoints_https", security_group_id=group_id, ip_protocol="tcp",
            from_port=443, to_port=443, cidr_ipv4=i.vpc_cidr, description="HTTPS from the VPC", **count)
        new(VpcSecurityGroupEgressRule, self, "endpoints_all", security_group_id=group_id, ip_protocol="-1",
            cidr_ipv4=ANYWHERE, description="Allow all egress", **count)
        services = rows_where(self, "interface_endpoint_services", i.restricted_network,
            {s: f"{i.partition.interface_endpoint_prefix}.{i.region}.{s}" for s in INTERFACE_ENDPOINT_SERVICES})
        new(VpcEndpoint, self, "interface", for_each=services, vpc_id=self.vpc.id, vpc_endpoint_type="Interface",
                    service_name=Token.as_string(services.value), private_dns_enabled=True,
                    subnet_ids=Token.as_list(f"${{{self.list_of(self.private_subnets, 'id')}}}"),
                    security_group_ids=[group_id], tags={"Name": f"{i.infra_id}-${{each.key}}"})


class NetworkStack(TierStack):
    """The cluster's VPC: created (`Network`), or an existing one looked up (`ExistingNetwork`)."""

    tier = Tier.NETWORK

    def __init__(self, scope: Construct, source: InputSource):
        super().__init__(scope, source)
        net = Network(self, self.inputs) if self.inputs.existing_vpc is None else ExistingNetwork(self, self.inputs)
        edge = net.edge
        as_list = lambda hcl: Token.as_list(f"${{{hcl}}}")  # noqa: E731
        self.outputs({
            "vpc_id": (net.vpc_id, "ID of the cluster VPC."),
            "vpc_cidr": (net.vpc_cidr, "IPv4 CIDR block of the cluster VPC."),
            "availability_zones": (as_list(self.inputs.zone_list), "AZ names, in the order of the subnet lists below."),
            "public_subnet_ids": (as_list(net.ids("public")), "IDs of the public subnets, one per AZ."),
            "private_subnet_ids": (as_list(net.ids("private")), "IDs of the private subnets, one per AZ."),
            "public_route_table_id": (net.public_route_table_id, "ID of the public route table."),
            "private_route_table_ids": (as_list(net.ids("private", "route_tables")),
                                        "IDs of the private route tables, one per AZ."),
            "edge_zones": None if edge is None else (
                edge.outputs(), "Per edge zone: its type, group and parent zone (as EC2 describes it), its public "
                                "subnet ID and, in a Wavelength Zone, its private subnet ID (else null)."),
        })
        self.finish()
