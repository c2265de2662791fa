"""Reading and checking `edge_zones` (the types and defaults are in edge.py).

Two steps, as the loader reads everything: `read_edge_zones` reads each entry with
its field named (`edge_zones[1].public_cidr`); `check_edge_zones`, once the VPC is
known, fills in the default CIDRs and checks them against the VPC and each other,
or, in an existing VPC, checks that the subnets are handed over.
"""
from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

from . import limits
from .cluster import CARVED_BLOCKS
from .edge import EdgeZone, ZoneType, carved_blocks, default_blocks, zone_type_of
from .keys import children
from .reader import MISSING, Reader, kind_of, show

# What an entry holds, in the words of the table of keys.
KEYS = "name, and optionally " + ", ".join(key.path.removeprefix("edge_zones[].") for key in children("edge_zones")
                                           if key.path != "edge_zones[].name")


def read_edge_zones(r: Reader, region: Any) -> Any:
    """The edge zones as listed, each read key by key (limits.EDGE_ZONES holds the same rules for a
    module's variable); MISSING after recording what is wrong."""
    value = r.get("edge_zones")
    if value is MISSING:
        return value
    ok = len(value) <= limits.MAX_EDGE_ZONES
    if not ok:
        r.problems.append(f"edge_zones: {len(value)} zones is more than {limits.MAX_EDGE_ZONES}; expected "
                          f"{limits.EDGE_ZONES.accepted}")
    zones = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            r.problems.append(f"edge_zones[{i}]: {show(entry)} is {kind_of(entry)}; expected a mapping with {KEYS}")
            ok = False
            continue
        z = r.child(entry, f"edge_zones[{i}].", "edge_zones[].")
        values = {key: z.get(key, ZoneType if key == "type" else None) for key, _ in limits.EDGE_ZONES.attributes}
        values["instance_type"] = z.get("instance_type")
        values["volume_type"] = z.get("volume_type")
        values["replicas"] = z.get("replicas")
        z.finish()
        if MISSING in values.values():
            ok = False
            continue
        name = values["name"]
        if isinstance(region, str) and not name.startswith(f"{region}-"):
            r.problems.append(f"edge_zones[{i}].name: {show(name)} is not a zone of region {show(region)}; expected a "
                              f"Local Zone or Wavelength Zone whose name starts with '{region}-'")
            ok = False
        values["type"] = values["type"] or zone_type_of(name)
        if values["type"] is not ZoneType.WAVELENGTH:
            for key in ("private_cidr", "private_subnet_id"):
                if values[key] is not None:
                    r.problems.append(f"edge_zones[{i}].{key}: a Local Zone gets a public subnet only (as the "
                                      "installer's helper makes it); expected null")
                    ok = False
        zones.append(EdgeZone(**values))
    names = [zone.name for zone in zones]
    for name in sorted({n for n in names if names.count(n) > 1}):
        r.problems.append(f"edge_zones: {name!r} is listed twice; expected each zone once")
        ok = False
    return tuple(zones) if ok else MISSING


def check_edge_zones(r: Reader, v: dict[str, Any]) -> tuple[EdgeZone, ...]:
    """The zones with their subnets settled: in an existing VPC, handed over by ID; else each zone's
    CIDRs given or defaulted (edge.default_blocks), inside the VPC, clear of the AZs' six blocks and of
    each other."""
    zones: tuple[EdgeZone, ...] = v["edge_zones"]
    if v["existing_vpc"] is not None:
        return _handed_over(r, zones)
    for i, zone in enumerate(zones):
        for key in ("public_subnet_id", "private_subnet_id"):
            if getattr(zone, key) is not None:
                r.problems.append(f"edge_zones[{i}].{key}: the network tier creates the edge subnets in the VPC it "
                                  "creates; expected null (subnet IDs are for an existing_vpc)")
    if not zones:
        return zones
    defaults = default_blocks(v["vpc_cidr"], v["subnet_bits"], CARVED_BLOCKS, [z.type for z in zones])
    filled = []
    for i, zone in enumerate(zones):
        wavelength = zone.type is ZoneType.WAVELENGTH
        public = zone.public_cidr or (defaults[i][0] if defaults[i] else None)
        private = zone.private_cidr or (defaults[i][1] if defaults[i] and wavelength else None)
        if public is None or (wavelength and private is None):
            r.problems.append(f"edge_zones[{i}]: no free block of /{32 - v['subnet_bits']} is left in vpc_cidr "
                              f"{v['vpc_cidr']} after the six of the availability zones; expected public_cidr"
                              f"{' and private_cidr' if wavelength else ''} given, or a larger VPC or smaller "
                              "subnet_bits")
            continue
        filled.append((i, replace(zone, default_cidrs=(None if zone.public_cidr else public,
                                                       None if zone.private_cidr else private))))
    network = ipaddress.IPv4Network(v["vpc_cidr"])
    taken = {f"the availability zones' block {block}": block
             for block in carved_blocks(v["vpc_cidr"], v["subnet_bits"], CARVED_BLOCKS)}
    for i, zone in filled:
        for key, cidr in (("public_cidr", zone.resolved_public_cidr), ("private_cidr", zone.resolved_private_cidr)):
            if cidr is None:
                continue
            block = ipaddress.IPv4Network(cidr)
            if not block.subnet_of(network):
                r.problems.append(f"edge_zones[{i}].{key}: {cidr} is not inside vpc_cidr {v['vpc_cidr']}")
                continue
            clash = next((what for what, other in taken.items() if block.overlaps(other)), None)
            if clash is not None:
                r.problems.append(f"edge_zones[{i}].{key}: {cidr} overlaps {clash}; expected a free block of the VPC")
            taken[f"edge_zones[{i}].{key} {cidr}"] = block
    return tuple(zone for _, zone in filled)


def _handed_over(r: Reader, zones: tuple[EdgeZone, ...]) -> tuple[EdgeZone, ...]:
    """In an existing VPC the network tier creates no subnet: each zone names the network team's."""
    for i, zone in enumerate(zones):
        if zone.public_subnet_id is None:
            r.problems.append(f"edge_zones[{i}].public_subnet_id: missing; with existing_vpc the network tier creates "
                              "no subnet, so each edge zone names its public subnet in that VPC (and a Wavelength "
                              "Zone optionally its private_subnet_id), made as the installer's helpers make them")
        for key in ("public_cidr", "private_cidr"):
            if getattr(zone, key) is not None:
                r.problems.append(f"edge_zones[{i}].{key}: the existing VPC's subnets have their own CIDRs; expected "
                                  "null (name the subnet with public_subnet_id / private_subnet_id)")
    return zones
