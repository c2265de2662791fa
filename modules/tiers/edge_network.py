"""Network tier (01), edge zones: subnets in AWS Local Zones and Wavelength Zones for edge compute.

What the installer's UPI helpers build (openshift/installer `upi/aws/cloudformation/`):
- per Local Zone, `01.99_net_local-zone.yaml`: a public subnet on the VPC's public
  route table (a Local Zone reaches the internet through the VPC's gateway);
- with any Wavelength Zone, `01_vpc_01_carrier_gateway.yaml`: a carrier gateway
  `<infra_id>-cagw` and a route table `<infra_id>-public-carrier` with 0.0.0.0/0 to
  it, on the S3 gateway endpoint too;
- per Wavelength Zone, `01_vpc_99_subnet.yaml`: a public subnet on the carrier table
  and a private one on a private route table. That table is the parent zone's when
  the parent is one of the cluster's AZs (its NAT gateway is the nearest), else the
  first AZ's.
Every edge subnet is tagged `kubernetes.io/cluster/unmanaged: true`. The Local Zone
helper tags its subnet so that the cluster's cloud provider makes no load balancer
there; no load balancer runs in a Wavelength Zone either, so its subnets get the tag
too (the helper there tags only `Name`). Names follow the release, like the AZs'.

Every resource is keyed by zone name, so adding a zone at the end of the list, or any
zone whose CIDRs are given, touches only that zone's resources (and the first or last
Wavelength Zone the carrier gateway, its table and the S3 endpoint's table list);
default CIDRs follow the list order (configuration/edge.py).

At plan time, before anything is created, `data.aws_availability_zone.edge` checks
that each zone is one of the region's, of the type the configuration says, and that
the account has opted into its group. The message names the command that opts in.
The same checks and outputs serve an existing VPC (`ExistingEdgeSubnets`), whose edge
subnets the network team hands over.
"""
from __future__ import annotations

from typing import Any, Mapping

from cdktf_cdktf_provider_aws.data_aws_availability_zone import DataAwsAvailabilityZone
from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones,
    DataAwsAvailabilityZonesFilter,
)
from cdktf_cdktf_provider_aws.data_aws_subnet import DataAwsSubnet
from cdktf_cdktf_provider_aws.ec2_carrier_gateway import Ec2CarrierGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet

from ..configuration.cluster import CARVED_BLOCKS
from ..configuration.edge import ZoneType
from ..configuration.releases import subnet_name
from ..constructs.cdk import Construct, Postcondition, Precondition, TerraformResourceLifecycle, Token
from ..constructs.hcl import Expr, Flag, address, attribute, each_ref, interpolate, new, optional_count, rows_where
from ..constructs.rules import ANY_IPV4
from .base import release_setting
from .inputs import TierInputs

UNMANAGED = {"kubernetes.io/cluster/unmanaged": "true"}


def has_edge_zones(inputs: TierInputs) -> bool:
    """Whether the tier has edge resources at all: a stack's zones are known; a module's may be any."""
    return isinstance(inputs.edge_zones, Expr) or bool(inputs.edge_zones)


def of_type(zones: Mapping[str, Mapping[str, Any]] | Expr, kind: ZoneType) -> Mapping[str, Any] | Expr:
    if isinstance(zones, Expr):
        return Expr(f'{{ for name, zone in {zones} : name => zone if zone.type == "{kind.value}" }}')
    return {name: zone for name, zone in zones.items() if zone["type"] == kind.value}


def any_of(zones: Mapping[str, Any] | Expr) -> Flag:
    return Expr(f"length({zones}) > 0") if isinstance(zones, Expr) else bool(zones)


# What a module's entries must hold, which the loader checks for a stack (edge_reading.py): by the
# kind of network (creates its subnets or not), then for both.
MODULE_CHECKS = {
    True: ("each.value.public_subnet_id == null && each.value.private_subnet_id == null",
           "edge_zones: ${each.key} names subnet IDs, which are for an existing VPC (the existing_network module); "
           "this module creates the zone's subnets, from public_cidr and private_cidr or the next free blocks."),
    False: ("each.value.public_subnet_id != null && each.value.public_cidr == null && each.value.private_cidr == null",
            "edge_zones: in an existing VPC, ${each.key} names its public_subnet_id (and a Wavelength Zone optionally "
            "its private_subnet_id), made as the installer's helpers make them, and no CIDRs."),
    None: (f'each.value.type == "{ZoneType.WAVELENGTH.value}" || (each.value.private_cidr == null && '
           "each.value.private_subnet_id == null)",
           "edge_zones: ${each.key} is a Local Zone, which gets a public subnet only (as the installer's helper makes "
           "it): no private_cidr, no private_subnet_id."),
}


def _within(inner: str, outer: str) -> str:
    """HCL: network `inner` lies inside network `outer` (both CIDRs)."""
    return (f'(tonumber(split("/", {inner})[1]) >= tonumber(split("/", {outer})[1]) && '
            f'cidrsubnet(format("%s/%s", cidrhost({inner}, 0), split("/", {outer})[1]), 0, 0) == {outer})')


def module_cidr_checks(inputs: TierInputs) -> list[Precondition]:
    """A module's CIDRs, as the loader checks a stack's (edge_reading.py): inside vpc_cidr, clear of the
    AZs' six blocks and of every other edge CIDR (two aligned networks overlap when one holds the other)."""
    if not isinstance(inputs.edge_zones, Expr):
        return []
    vpc, zones = inputs.vpc_cidr, inputs.edge_zones
    overlap = f"({_within('cidr', 'other')} || {_within('other', 'cidr')})"
    azs = f"[for n in range({CARVED_BLOCKS}) : cidrsubnet({vpc}, local.subnet_newbits, n)]"
    others = (f"flatten([for name, zone in {zones} : compact([zone.public_cidr, zone.private_cidr]) "
              "if name != each.key])")
    mine = "compact([each.value.public_cidr, each.value.private_cidr])"
    return [Precondition(
        condition=f"${{try(alltrue([for cidr in {mine} : {_within('cidr', vpc)} && !anytrue([for other in "
                  f"concat({azs}, {others}, [for own in {mine} : own if own != cidr]) : {overlap}])]), false)}}",
        error_message=f"edge_zones: the CIDRs of ${{each.key}} must lie in vpc_cidr ${{{vpc}}}, clear of the "
                      "availability zones' six blocks, of each other and of the other edge zones' CIDRs.")]


def checked_zones(scope: Construct, inputs: TierInputs, *, creates: bool) -> DataAwsAvailabilityZone:
    """Each edge zone as EC2 describes it, checked at plan time (see the module's docstring); a module's
    entries checked too (`MODULE_CHECKS`, and its CIDRs when it creates the subnets). `creates`: the tier
    creates the zones' subnets."""
    zones = rows_where(scope, "edge_zones", True, inputs.edge_zones)
    region = inputs.region
    # Read only with zones: a module without any asks EC2 nothing (and plans offline). Filtered on the
    # zones' names: what it answers is the configured zones EC2 knows, whatever AWS adds (CKV_AWS_394).
    names = Token.as_list(f"${{keys({inputs.edge_zones})}}") if isinstance(inputs.edge_zones, Expr) \
        else sorted(inputs.edge_zones)
    known = new(DataAwsAvailabilityZones, scope, "edge_known", all_availability_zones=True,
                filter=[DataAwsAvailabilityZonesFilter(name="zone-name", values=names)],
                **optional_count(any_of(inputs.edge_zones)))
    names = f"{address(known)}.names" if known.count is None else f"one({address(known)}[*].names)"
    entries = [Precondition(condition=f"${{{MODULE_CHECKS[kind][0]}}}", error_message=MODULE_CHECKS[kind][1])
               for kind in (creates, None)] if isinstance(inputs.edge_zones, Expr) else []
    entries += module_cidr_checks(inputs) if creates else []
    return new(DataAwsAvailabilityZone, scope, "edge", for_each=zones, name=zones.key, all_availability_zones=True,
               lifecycle=TerraformResourceLifecycle(
                   precondition=[*entries, Precondition(
                       condition=f"${{contains({names}, each.key)}}",
                       error_message=f"edge_zones: ${{each.key}} is not a zone of region {region} (EC2 does not "
                                     "know it); expected a Local Zone or Wavelength Zone of the region (`aws ec2 "
                                     f"describe-availability-zones --region {region} --all-availability-zones`).")],
                   postcondition=[
                       Postcondition(condition="${self.zone_type == each.value.type}",
                                     error_message="edge_zones: ${each.key} is a ${self.zone_type} in AWS, not a "
                                                   "${each.value.type}; declare its type as ${self.zone_type}."),
                       Postcondition(condition='${self.opt_in_status != "not-opted-in"}',
                                     error_message="edge_zones: the account has not opted into zone group "
                                                   "${self.group_name} of ${each.key}; run `aws ec2 "
                                                   f"modify-availability-zone-group --region {region} --group-name "
                                                   "${self.group_name} --opt-in-status opted-in` (it takes a few "
                                                   "minutes), then plan again.")]))


def zone_outputs(checked: DataAwsAvailabilityZone, public: Any, private: Any | None) -> str:
    """HCL of the tier's `edge_zones` output: per zone, what its MachineSet needs."""
    private_id = "null" if private is None else f"try({address(private)}[name].id, null)"
    return (f"${{{{ for name, zone in {address(checked)} : name => {{ type = zone.zone_type, group = zone.group_name, "
            f"parent_zone = zone.parent_zone_name, public_subnet_id = {address(public)}[name].id, "
            f"private_subnet_id = {private_id} }} }}}}")


class EdgeSubnets(Construct):
    """The edge zones' subnets, gateway and route table in the VPC the network tier creates."""

    def __init__(self, scope: Construct, inputs: TierInputs, vpc_id: str, public_route_table: RouteTable,
                 private_route_tables: RouteTable):
        super().__init__(scope, "edge")
        infra_id, zones = inputs.infra_id, inputs.edge_zones
        prefix = interpolate(release_setting(self, inputs, "subnet_prefix"))
        self.checked = checked_zones(self, inputs, creates=True)
        zone = f"${{{address(self.checked)}[each.key].name}}"
        wavelength = of_type(zones, ZoneType.WAVELENGTH)
        count = optional_count(any_of(wavelength))
        self.carrier_table = None
        public_table = public_route_table.id
        if count is not None:
            gateway = new(Ec2CarrierGateway, self, "carrier", vpc_id=vpc_id, tags={"Name": f"{infra_id}-cagw"}, **count)
            self.carrier_table = new(RouteTable, self, "route_table.carrier", vpc_id=vpc_id,
                                     tags={"Name": f"{infra_id}-public-carrier"}, **count)
            new(Route, self, "carrier_internet", route_table_id=attribute(self.carrier_table, "id"),
                destination_cidr_block=ANY_IPV4.cidr, carrier_gateway_id=attribute(gateway, "id"), **count)
            carrier = f"{address(self.carrier_table)}.id" if self.carrier_table.count is None \
                else f"one({address(self.carrier_table)}[*].id)"
            public_table = (f'${{each.value.type == "{ZoneType.WAVELENGTH.value}" ? {carrier} : '
                            f"{address(public_route_table)}.id}}")
        rows = rows_where(self, "edge_public_zones", True, zones)
        self.public = new(Subnet, self, "edge_public", for_each=rows, vpc_id=vpc_id, availability_zone=zone,
                          cidr_block=rows.get_string("public_cidr"),
                          tags={"Name": subnet_name(infra_id, prefix, "public", "${each.key}"), **UNMANAGED})
        new(RouteTableAssociation, self, "association.edge_public", for_each=rows,
            subnet_id=each_ref(self.public, "id"), route_table_id=public_table)
        self.private = None
        if count is None:  # no Wavelength Zone (a stack's zones are known): no private subnets
            return
        private_rows = rows_where(self, "edge_private_zones", True, wavelength)
        self.private = new(Subnet, self, "edge_private", for_each=private_rows, vpc_id=vpc_id, availability_zone=zone,
                           cidr_block=private_rows.get_string("private_cidr"),
                           tags={"Name": subnet_name(infra_id, prefix, "private", "${each.key}"), **UNMANAGED})
        tables = address(private_route_tables)
        new(RouteTableAssociation, self, "association.edge_private", for_each=private_rows,
            subnet_id=each_ref(self.private, "id"),
            route_table_id=f"${{lookup({{ for az, table in {tables} : az => table.id }}, "
                           f"{address(self.checked)}[each.key].parent_zone_name, "
                           f"{tables}[{inputs.zone_list}[0]].id)}}")

    def route_table_ids(self) -> str | None:
        """HCL list of the carrier route table's ID (none, or one), for the S3 endpoint; None: never one."""
        if self.carrier_table is None:
            return None
        return f"{address(self.carrier_table)}[*].id" if self.carrier_table.count is not None \
            else f"[{address(self.carrier_table)}.id]"

    def outputs(self) -> str:
        return zone_outputs(self.checked, self.public, self.private)


class ExistingEdgeSubnets(Construct):
    """The edge subnets of an existing VPC, handed over by ID: looked up and checked, nothing created
    (their route tables and gateways are the network team's, made as the helpers make them)."""

    def __init__(self, scope: Construct, inputs: TierInputs, vpc_id: str):
        """`vpc_id`: HCL of the VPC's ID (no `${}`)."""
        super().__init__(scope, "edge")
        self.checked = checked_zones(self, inputs, creates=False)
        zones = inputs.edge_zones
        # A module's zone without a subnet ID is refused (MODULE_CHECKS); it is not looked up unfiltered meanwhile.
        self.public, self.private = (self._subnet(role, self._with(zones, f"{role}_subnet_id"), vpc_id)
                                     for role in ("public", "private"))

    @staticmethod
    def _with(zones: Mapping[str, Any] | Expr, key: str) -> Mapping[str, Any] | Expr:
        if isinstance(zones, Expr):
            return Expr(f"{{ for name, zone in {zones} : name => zone if zone.{key} != null }}")
        return {name: zone for name, zone in zones.items() if zone[key]}

    def _subnet(self, role: str, zones: Mapping[str, Any] | Expr, vpc_id: str) -> DataAwsSubnet | None:
        if not zones:  # a stack's zones, none with a subnet of this role
            return None
        rows = rows_where(self, f"edge_{role}_subnets", True, zones)
        where = f"subnet ${{self.id}} (the {role} subnet of edge zone ${{each.key}})"
        return new(DataAwsSubnet, self, f"edge_{role}", for_each=rows,
                   id=Token.as_string(f"${{each.value.{role}_subnet_id}}"),
                   lifecycle=TerraformResourceLifecycle(postcondition=[
                       Postcondition(condition=f"${{self.vpc_id == {vpc_id}}}",
                                     error_message=f"{where.capitalize()} is in VPC ${{self.vpc_id}}, not in "
                                                   f"${{{vpc_id}}}."),
                       Postcondition(condition="${self.availability_zone == each.key}",
                                     error_message=f"{where.capitalize()} is in zone ${{self.availability_zone}}, "
                                                   "not in ${each.key}.")]))

    def route_table_ids(self) -> None:
        return None

    def outputs(self) -> str:
        return zone_outputs(self.checked, self.public, self.private)
