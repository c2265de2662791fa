"""Edge zones: AWS Local Zones and Wavelength Zones for compute nodes, as the installer's UPI helpers build them.

Read and checked in edge_reading.py; built by the network tier (tiers/edge_network.py)
and given MachineSets by operations/machinesets.py.

A zone's type is told from its name unless declared: AWS names every Wavelength
Zone `<region>-wl<n>-<metro>-wlz-<n>` (us-east-1-wl1-bos-wlz-1) and every Local Zone
`<region>-<metro>-<n><letter>` (us-east-1-nyc-1a). Synthesis reads no AWS API, so
the name is what it has; the network tier checks the type AWS reports at plan time
(and the account's opt-in), so a wrong declaration stops the plan, not the apply.

Each zone's subnets take, by default, the next blocks of the VPC after the six the
cluster carves (blocks 6, 7, ... of `subnet_bits` host bits, in the order the zones
are listed): one public block for a Local Zone (the docs' helper makes a public
subnet only), a public and a private one for a Wavelength Zone. Removing a zone
that is not the last moves the defaults of those after it: give `public_cidr`
(and `private_cidr`) to pin them.

In an existing VPC the network team makes the subnets: each zone then names them
(`public_subnet_id`, and `private_subnet_id` for a Wavelength Zone), and has no CIDRs.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import Enum
from typing import Sequence

WAVELENGTH_NAME = re.compile(r".+-wl[0-9]+-[a-z0-9-]+-wlz-[0-9]+")


class ZoneType(str, Enum):
    """EC2's `ZoneType` of an edge zone (DescribeAvailabilityZones)."""

    LOCAL = "local-zone"
    WAVELENGTH = "wavelength-zone"


# What an edge MachineSet asks for by default, per zone type. gp2: "gp3 is not offered in all
# local-zones locations used by Edge Pools" (openshift/installer pkg/types/aws/defaults/machinepool.go
# @006d4573). The instance type: the first of the installer's preferred list (pkg/types/aws/defaults/
# platform.go) that the zone type commonly offers: c5d.2xlarge "is in the most locations of availability
# for Local Zone offerings"; Wavelength Zones offer r5.2xlarge of that list.
DEFAULT_INSTANCE_TYPE = {ZoneType.LOCAL: "c5d.2xlarge", ZoneType.WAVELENGTH: "r5.2xlarge"}
DEFAULT_VOLUME_TYPE = "gp2"
# An edge zone's machines come from its MachineSet only (the compute tier makes none there): one, as in
# the docs' example MachineSet (openshift-docs modules/machineset-yaml-aws.adoc).
DEFAULT_REPLICAS = 1


@dataclass(frozen=True)
class EdgeZone:
    name: str
    type: ZoneType
    public_cidr: str | None = None  # None: derived (`resolved_public_cidr`), or an existing VPC's subnet
    private_cidr: str | None = None  # Wavelength Zones only: the docs' helper makes both
    public_subnet_id: str | None = None  # an existing VPC's subnet in the zone
    private_subnet_id: str | None = None  # an existing VPC's, Wavelength Zones only (optional)
    instance_type: str | None = None  # None: DEFAULT_INSTANCE_TYPE of its type
    volume_type: str = DEFAULT_VOLUME_TYPE
    replicas: int = DEFAULT_REPLICAS  # of its MachineSet (`main.py machinesets`)
    # derived: the default blocks (public, private) when the network tier creates the subnets
    default_cidrs: tuple[str | None, str | None] = (None, None)

    @property
    def resolved_public_cidr(self) -> str | None:
        return self.public_cidr or self.default_cidrs[0]

    @property
    def resolved_private_cidr(self) -> str | None:
        return self.private_cidr or self.default_cidrs[1]

    @property
    def resolved_instance_type(self) -> str:
        return self.instance_type or DEFAULT_INSTANCE_TYPE[self.type]

    @property
    def network(self) -> dict[str, str | None]:
        """What the network tier builds the zone from (its for_each row, keyed by the zone's name)."""
        return {"type": self.type.value, "public_cidr": self.resolved_public_cidr,
                "private_cidr": self.resolved_private_cidr,
                "public_subnet_id": self.public_subnet_id, "private_subnet_id": self.private_subnet_id}


def zone_type_of(name: str) -> ZoneType:
    """The type AWS gives a zone of this name (see the module's docstring)."""
    return ZoneType.WAVELENGTH if WAVELENGTH_NAME.fullmatch(name) else ZoneType.LOCAL


# VPC blocks a zone's default CIDRs take: a public one, and for a Wavelength Zone a private one too.
BLOCKS = {ZoneType.LOCAL: 1, ZoneType.WAVELENGTH: 2}


def default_blocks(vpc_cidr: str, subnet_bits: int, carved: int, kinds: Sequence[ZoneType]) -> list[list[str] | None]:
    """Per zone (in order), its default CIDRs: the VPC's blocks after the `carved` ones of the AZs, each
    zone after the blocks of those before it; None for a zone whose blocks do not fit in the VPC."""
    blocks = list(ipaddress.IPv4Network(vpc_cidr).subnets(new_prefix=32 - subnet_bits))
    result, first = [], carved
    for kind in kinds:
        taken = blocks[first:first + BLOCKS[kind]]
        result.append([str(block) for block in taken] if len(taken) == BLOCKS[kind] else None)
        first += BLOCKS[kind]
    return result


def carved_blocks(vpc_cidr: str, subnet_bits: int, carved: int) -> list[ipaddress.IPv4Network]:
    """The blocks the cluster's AZ subnets can take (six, whatever the AZ count, as the reference carves)."""
    return list(ipaddress.IPv4Network(vpc_cidr).subnets(new_prefix=32 - subnet_bits))[:carved]
