"""Network tier (01) in an existing VPC: look it up, check it, tag its subnets for the cluster.

The VPC, its subnets and route tables belong to whoever handed them over (a
network team, another account through RAM). The tier creates nothing in them but
the cluster's tags, one `aws_ec2_tag` per subnet and tag, so a destroy removes
exactly those tags and leaves every subnet as it was; and, only when asked for,
the S3 gateway endpoint on the subnets' route tables.

At plan time, before anything is applied, the data sources' postconditions check
that `vpc_cidr` is one of the VPC's CIDR blocks (the security rules "from the
VPC" are written with it) and that each subnet is in that VPC, in its AZ and
inside `vpc_cidr`; each failure names the subnet and what it is instead.

The tier's outputs are the ones of the tier that creates a VPC (`Network`), so
no other tier knows which of the two it reads.
"""
from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.data_aws_route_table import DataAwsRouteTable, DataAwsRouteTableFilter
from cdktf_cdktf_provider_aws.data_aws_route_tables import DataAwsRouteTables, DataAwsRouteTablesFilter
from cdktf_cdktf_provider_aws.data_aws_subnet import DataAwsSubnet
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from cdktf_cdktf_provider_aws.ec2_tag import Ec2Tag
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint

from ..constructs.cdk import Construct, Postcondition, Precondition, TerraformResourceLifecycle, Token
from ..constructs.hcl import Expr, address, interpolate, local_value, new, optional_count, rows_where
from .edge_network import ExistingEdgeSubnets, has_edge_zones
from .inputs import TierInputs

# The tags a subnet of the cluster carries, by subnet role: the cluster tag ("shared": the
# cluster does not own the subnet) and the role tag the cloud provider picks load balancer
# subnets by. `{infra_id}` is filled in.
SUBNET_TAGS: dict[str, dict[str, str]] = {
    "private": {"cluster": "kubernetes.io/cluster/{infra_id}", "role": "kubernetes.io/role/internal-elb"},
    "public": {"cluster": "kubernetes.io/cluster/{infra_id}", "role": "kubernetes.io/role/elb"},
}
TAG_VALUES = {"cluster": "shared", "role": "1"}


class ExistingNetwork(Construct):
    """An existing VPC and subnets, looked up and checked; the same attributes as `Network`."""

    def __init__(self, scope: Construct, inputs: TierInputs):
        super().__init__(scope, "network")
        existing = inputs.existing_vpc
        assert existing is not None
        self.inputs, self.existing = inputs, existing
        # A local: the conditions below are HCL, and the CIDR is a literal or a variable.
        local_value(self, "vpc_cidr", inputs.vpc_cidr)
        self.vpc = new(DataAwsVpc, self, "cluster", id=interpolate(existing.vpc_id),
                       lifecycle=TerraformResourceLifecycle(precondition=self._module_checks(), postcondition=[
                           Postcondition(condition="${contains(self.cidr_block_associations[*].cidr_block, "
                                                   "local.vpc_cidr)}",
                                         error_message="vpc_cidr ${local.vpc_cidr} is not a CIDR block of VPC "
                                                       "${self.id}, whose blocks are "
                                                       "${join(\", \", self.cidr_block_associations[*].cidr_block)}."),
                           # The private zone resolves in the VPC only with both (and the nodes need it).
                           Postcondition(condition="${self.enable_dns_support && self.enable_dns_hostnames}",
                                         error_message="VPC ${self.id} needs DNS support and DNS host names enabled "
                                                       "(enable_dns_support, enable_dns_hostnames) for the "
                                                       "cluster's private zone to resolve.")]))
        self.subnets = {role: self._subnets(role) for role in ("private", "public")}
        self._route_tables()
        self._tags()
        self._s3_endpoint()
        # The edge zones' subnets the network team made, looked up and checked (edge_network.py).
        self.edge = ExistingEdgeSubnets(self, inputs, f"{address(self.vpc)}.id") if has_edge_zones(inputs) else None

    # ------------------------------------------------------------------ lookups and checks

    def _rows(self, role: str) -> Any:
        ids = self.existing.private_subnets if role == "private" else self.existing.public_subnets
        return rows_where(self, f"existing_{role}_subnets", True, ids)

    def _module_checks(self) -> list[Precondition] | None:
        """A module's lists must line up with its AZs (a stack's loader checked its mapping)."""
        if not isinstance(self.existing.private_subnets, Expr):
            return None
        zones = self.inputs.zone_list
        return [Precondition(
            condition=f"${{length(var.private_subnet_ids) == length({zones}) && "
                      f"contains([0, length({zones})], length(var.public_subnet_ids))}}",
            error_message="private_subnet_ids must hold one subnet per AZ of availability_zones, in that order, and "
                          "public_subnet_ids as many, or none.")]

    def _route_tables(self) -> None:
        """Each subnet's route table: the one associated with it, else the VPC's main table (which is
        what routes a subnet without an association; AWS's subnet filter only sees associations)."""
        self.main_route_table = new(DataAwsRouteTable, self, "route_table.main", vpc_id=self.vpc_id,
                                    filter=[DataAwsRouteTableFilter(name="association.main", values=["true"])])
        self.associated = {role: new(DataAwsRouteTables, self, f"route_tables.{role}", for_each=self._rows(role),
                                     vpc_id=self.vpc_id, filter=[DataAwsRouteTablesFilter(
                                         name="association.subnet-id", values=[Token.as_string("${each.value}")])])
                           for role in self.subnets}

    def route_table_of(self, role: str, az: str) -> str:
        """HCL: the route table of the `role` subnet of `az` (an HCL expression)."""
        return f"coalesce(one({address(self.associated[role])}[{az}].ids), {address(self.main_route_table)}.id)"

    def _subnets(self, role: str) -> DataAwsSubnet:
        rows = self._rows(role)
        where = f"subnet ${{self.id}} (the {role} subnet of ${{each.key}})"
        # The subnet's CIDR, widened to the VPC CIDR's prefix, is the VPC CIDR: it lies inside it.
        inside = ('cidrsubnet(format("%s/%s", cidrhost(self.cidr_block, 0), split("/", local.vpc_cidr)[1]), 0, 0) '
                  '== local.vpc_cidr && tonumber(split("/", self.cidr_block)[1]) >= '
                  'tonumber(split("/", local.vpc_cidr)[1])')
        checks = [
            (f"self.vpc_id == {address(self.vpc)}.id",
             f"{where.capitalize()} is in VPC ${{self.vpc_id}}, not in ${{{address(self.vpc)}.id}}."),
            ("self.availability_zone == each.key",
             f"{where.capitalize()} is in availability zone ${{self.availability_zone}}, not in ${{each.key}}."),
            (inside, f"{where.capitalize()} has CIDR ${{self.cidr_block}}, which is not inside vpc_cidr "
                     "${local.vpc_cidr}."),
        ]
        return new(DataAwsSubnet, self, f"subnet.{role}", for_each=rows, id=Token.as_string(rows.value),
                   lifecycle=TerraformResourceLifecycle(postcondition=[
                       Postcondition(condition=f"${{{condition}}}", error_message=message)
                       for condition, message in checks]))

    # ------------------------------------------------------------------ what the tier creates

    def _tags(self) -> None:
        """The cluster's tags on every subnet, one resource per (AZ, subnet role, tag)."""
        infra_id = self.inputs.infra_id
        role_tags = self.existing.role_tags
        if isinstance(self.existing.private_subnets, Expr):
            parts = [f'{{ for az, subnet in {address(self.subnets[role])} : "${{az}}/{role}/{tag}" => '
                     f'{{ subnet = subnet.id, key = "{key.format(infra_id=infra_id)}", value = "{TAG_VALUES[tag]}" }}'
                     f'{f" if {role_tags}" if tag == "role" else ""} }}'
                     for role, tags in SUBNET_TAGS.items() for tag, key in tags.items()]
            rows: Any = Expr(f"merge({', '.join(parts)})")
        else:
            ids = {"private": self.existing.private_subnets, "public": self.existing.public_subnets}
            rows = {f"{az}/{role}/{tag}": {"subnet": ids[role][az], "key": key.format(infra_id=infra_id),
                                           "value": TAG_VALUES[tag]}
                    for role, tags in SUBNET_TAGS.items() for az in ids[role] for tag, key in tags.items()
                    if tag != "role" or role_tags}
        tags = rows_where(self, "subnet_tags", True, rows)
        new(Ec2Tag, self, "subnet", for_each=tags, resource_id=tags.get_string("subnet"), key=tags.get_string("key"),
            value=tags.get_string("value"))

    def _s3_endpoint(self) -> None:
        """The S3 gateway endpoint on the subnets' route tables: only when asked (the VPC is not ours)."""
        count = optional_count(self.existing.s3_endpoint)
        if count is None:
            return
        tables = ", ".join(f"[for az, found in {address(self.associated[role])} : {self.route_table_of(role, 'az')}]"
                           for role in self.subnets)
        new(VpcEndpoint, self, "s3", vpc_id=self.vpc_id, vpc_endpoint_type="Gateway",
            service_name=f"com.amazonaws.{self.inputs.region}.s3",
            route_table_ids=Token.as_list(f"${{distinct(concat({tables}))}}"),
            tags={"Name": f"{self.inputs.infra_id}-s3"}, **count)

    # ------------------------------------------------------------------ the attributes `Network` has

    @property
    def vpc_id(self) -> str:
        return self.vpc.id

    @property
    def vpc_cidr(self) -> str:
        return "${local.vpc_cidr}"

    def ids(self, role: str, kind: str = "subnets") -> str:
        """HCL: the IDs of the `role` subnets (or their route tables), in AZ order; AZs without one skipped."""
        subnets = address(self.subnets[role])
        value = f"{subnets}[az].id" if kind == "subnets" else self.route_table_of(role, "az")
        return f"[for az in {self.inputs.zone_list} : {value} if contains(keys({subnets}), az)]"

    @property
    def public_route_table_id(self) -> str:
        return f"${{try({self.ids('public', 'route_tables')}[0], null)}}"
