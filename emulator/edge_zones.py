"""AWS Local Zones and Wavelength Zones, which moto does not know (groundwork for issue #29, edge zones).

moto lists a region's availability zones only, all of type `availability-zone`,
without `GroupName`, `ParentZoneName` or `OptInStatus`, ignores
`AllAvailabilityZones`, has no `ModifyAvailabilityZoneGroup`, and refuses a subnet
in any other zone. AWS (EC2 DescribeAvailabilityZones, ModifyAvailabilityZoneGroup):
- every zone has a type (`availability-zone`, `local-zone`, `wavelength-zone`), a
  group, a network border group and an opt-in status; an edge zone also names its
  parent zone;
- edge zones start `not-opted-in`; `modify-availability-zone-group --group-name G
  --opt-in-status opted-in` opts in every zone of the group;
- a zone that is not opted in is listed only with `AllAvailabilityZones`, and takes
  no subnet;
- an edge zone offers a few instance types (moto's table has none for it, and refuses
  a machine placed there).
EDGE_ZONES holds, per region, the zones the tests use: the two the OpenShift docs use
as examples (openshift-docs `modules/post-install-edge-aws-extend-machineset.adoc`), and
the Local Zone of the installer's edge MachineSet test (`pkg/asset/machines/aws/
machinesets_test.go`: us-east-1-bos-1a, group us-east-1-bos-1, parent us-east-1c).
"""
from __future__ import annotations

from typing import Any

# region -> (name, zone ID (the emulator's own), type, group, parent zone)
EDGE_ZONES = {
    "us-east-1": (
        ("us-east-1-nyc-1a", "use1-nyc1-az1", "local-zone", "us-east-1-nyc-1", "us-east-1f"),
        ("us-east-1-wl1-bos-wlz-1", "use1-wl1-bos-wlz1", "wavelength-zone", "us-east-1-wl1", "us-east-1a"),
        ("us-east-1-bos-1a", "use1-bos1-az1", "local-zone", "us-east-1-bos-1", "us-east-1c"),
    ),
}

# What each kind of zone offers here: the Wavelength Zones' types of the OpenShift enhancement
# (enhancements/installer/aws-custom-edge-machineset-wavelength-zones.md), and for Local Zones the
# installer's edge default (c5d.2xlarge) with two the docs' Local Zones commonly offer.
OFFERED = {"local-zone": ("t3.xlarge", "c5d.2xlarge", "r5.2xlarge"),
           "wavelength-zone": ("t3.medium", "t3.xlarge", "r5.2xlarge", "g4dn.2xlarge")}


def apply_edge_zones() -> None:
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend, Zone
    from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS
    from moto.ec2.responses.availability_zones_and_regions import AvailabilityZonesAndRegions
    from moto.core.responses import ActionResult

    for region, zones in RegionsAndZonesBackend.zones.items():
        for zone in zones:  # what AWS says of every regular zone
            zone.opt_in_status, zone.group_name, zone.network_border_group = "opt-in-not-required", region, region
    for region, edges in EDGE_ZONES.items():
        parents = {zone.name: zone for zone in RegionsAndZonesBackend.zones[region]}
        for name, zone_id, kind, group, parent in edges:
            zone = Zone(name=name, region_name=region, zone_id=zone_id, zone_type=kind)
            zone.opt_in_status, zone.group_name = "not-opted-in", group
            zone.network_border_group = group if kind == "local-zone" else name
            zone.parent_zone_name, zone.parent_zone_id = parent, parents[parent].zone_id
            RegionsAndZonesBackend.zones[region].append(zone)
            for location_type, location in (("availability-zone", name), ("availability-zone-id", zone_id)):
                INSTANCE_TYPE_OFFERINGS[location_type][region] += [
                    {"InstanceType": offered, "Location": location, "LocationType": location_type}
                    for offered in OFFERED[kind]]

    original = RegionsAndZonesBackend.describe_availability_zones

    def describe_availability_zones(self, filters=None, zone_names=None, zone_ids=None, every: bool = False):
        zones = original(self, filters, zone_names=zone_names, zone_ids=zone_ids)
        for name, attribute in (("opt-in-status", "opt_in_status"), ("group-name", "group_name")):
            wanted = (filters or {}).get(name)
            if wanted:
                zones = [zone for zone in zones if getattr(zone, attribute, None) in wanted]
        return zones if every else [zone for zone in zones if zone.opt_in_status != "not-opted-in"]

    def modify_availability_zone_group(self, group_name: str, opt_in_status: str) -> None:
        for zone in RegionsAndZonesBackend.zones.get(self.region_name, []):
            if zone.group_name == group_name and zone.opt_in_status != "opt-in-not-required":
                zone.opt_in_status = opt_in_status

    RegionsAndZonesBackend.describe_availability_zones = describe_availability_zones
    RegionsAndZonesBackend.modify_availability_zone_group = modify_availability_zone_group
    _no_subnet_before_opt_in()

    def describe(self: Any) -> ActionResult:
        self.error_on_dryrun()
        zones = self.ec2_backend.describe_availability_zones(
            self._filters_from_querystring(), zone_names=self._get_param("ZoneNames", []),
            zone_ids=self._get_param("ZoneIds", []), every=self._get_bool_param("AllAvailabilityZones", False))
        return ActionResult({"AvailabilityZones": zones})

    def modify(self: Any) -> ActionResult:
        self.error_on_dryrun()
        self.ec2_backend.modify_availability_zone_group(self._get_param("GroupName"), self._get_param("OptInStatus"))
        return ActionResult({"Return": True})

    AvailabilityZonesAndRegions.describe_availability_zones = describe
    AvailabilityZonesAndRegions.modify_availability_zone_group = modify


def _no_subnet_before_opt_in() -> None:
    """CreateSubnet in a zone the account has not opted into: refused as for a zone it cannot see
    (`InvalidParameterValue`, naming the zones it can), which is what such a zone is until the opt-in."""
    from moto.ec2.exceptions import InvalidAvailabilityZoneError
    from moto.ec2.models import EC2Backend

    original = EC2Backend.create_subnet

    def create_subnet(self, vpc_id, cidr_block, ipv6_cidr_block=None, availability_zone=None, *args, **kwargs):
        visible = self.describe_availability_zones()
        if availability_zone and availability_zone not in {zone.name for zone in visible} and any(
                availability_zone == zone.name for zone in self.describe_availability_zones(every=True)):
            raise InvalidAvailabilityZoneError(availability_zone, ", ".join(zone.name for zone in visible))
        return original(self, vpc_id, cidr_block, ipv6_cidr_block, availability_zone, *args, **kwargs)

    EC2Backend.create_subnet = create_subnet
