"""Edge zones: the configuration (modules/configuration/edge.py, edge_reading.py)."""
from __future__ import annotations

import pytest

from conftest import variant
from modules.configuration import ConfigError, parse_config
from modules.configuration.edge import ZoneType

LOCAL, WAVELENGTH = "us-east-1-nyc-1a", "us-east-1-wl1-bos-wlz-1"


def refused(**changes) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(variant(**changes))
    return caught.value.report()


def test_the_zone_type_is_told_from_the_name_unless_declared():
    zones = parse_config(variant(edge_zones=[{"name": LOCAL}, {"name": WAVELENGTH},
                                             {"name": "us-east-1-bos-1a", "type": "wavelength-zone"}])).edge_zones
    assert [z.type for z in zones] == [ZoneType.LOCAL, ZoneType.WAVELENGTH, ZoneType.WAVELENGTH]


def test_default_cidrs_are_the_next_free_blocks_after_the_six_of_the_azs_in_list_order():
    # 10.0.0.0/16 in /20 blocks: 0-5 are the AZs' (public 0-2, private 3-5); 6 on are free.
    zones = parse_config(variant(edge_zones=[{"name": WAVELENGTH}, {"name": LOCAL}])).edge_zones
    assert [(z.public_cidr, z.private_cidr) for z in zones] == [("10.0.96.0/20", "10.0.112.0/20"),
                                                                  ("10.0.128.0/20", None)]
    given = parse_config(variant(edge_zones=[{"name": LOCAL, "public_cidr": "10.0.240.0/20"}])).edge_zones
    assert given[0].public_cidr == "10.0.240.0/20"


def test_the_machine_defaults_are_the_zone_types():
    zones = parse_config(variant(edge_zones=[{"name": LOCAL}, {"name": WAVELENGTH, "instance_type": "t3.xlarge"}])
                         ).edge_zones
    assert [(z.resolved_instance_type, z.volume_type) for z in zones] == [("c5d.2xlarge", "gp2"), ("t3.xlarge", "gp2")]


@pytest.mark.parametrize("zones, message", [
    ([{"name": "us-west-2-lax-1a"}], "edge_zones[0].name: \"us-west-2-lax-1a\" is not a zone of region \"us-east-1\""),
    ([{"name": LOCAL, "private_cidr": "10.0.144.0/20"}], "edge_zones[0].private_cidr: a Local Zone gets a public "
                                                         "subnet only"),
    ([{"name": LOCAL, "public_cidr": "10.0.16.0/20"}], "edge_zones[0].public_cidr: 10.0.16.0/20 overlaps the "
                                                       "availability zones' block 10.0.16.0/20"),
    ([{"name": LOCAL, "public_cidr": "10.1.0.0/20"}], "edge_zones[0].public_cidr: 10.1.0.0/20 is not inside vpc_cidr"),
    ([{"name": LOCAL, "public_cidr": "10.0.128.0/20"}, {"name": "us-east-1-bos-1a", "public_cidr": "10.0.128.0/24"}],
     "edge_zones[1].public_cidr: 10.0.128.0/24 overlaps edge_zones[0].public_cidr 10.0.128.0/20"),
    ([{"name": LOCAL}, {"name": LOCAL, "instance_type": "m5.xlarge"}], "edge_zones: 'us-east-1-nyc-1a' is listed twice"),
    ([{"name": LOCAL, "size": 1}], "edge_zones[0].size: unknown key"),
])
def test_bad_edge_zones_are_refused_with_the_field_named(zones, message):
    assert message in refused(edge_zones=zones)


def test_zones_that_do_not_fit_the_vpc_are_refused():
    # A /20 VPC in /23 blocks has 8: six for the AZs, two left; a Wavelength Zone takes two, a Local Zone one more.
    report = refused(vpc_cidr="10.0.0.0/20", subnet_bits=9, edge_zones=[{"name": WAVELENGTH}, {"name": LOCAL}])
    assert "edge_zones[1]: no free block of /23 is left in vpc_cidr 10.0.0.0/20" in report


EXISTING = {"vpc_id": "vpc-0123456789abcdef0", "subnets": {
    az: {"private": f"subnet-0123456789abcdef{i}", "public": f"subnet-0123456789abcde{i}0"}
    for i, az in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"])}}


def test_in_an_existing_vpc_edge_zones_name_their_subnets_and_carry_no_cidrs():
    report = refused(existing_vpc=EXISTING, edge_zones=[{"name": LOCAL}, {"name": WAVELENGTH,
                                                                          "public_cidr": "10.0.128.0/20"}])
    assert "edge_zones[0].public_subnet_id: missing; with existing_vpc the network tier creates no subnet" in report
    assert "edge_zones[1].public_cidr: the existing VPC's subnets have their own CIDRs" in report
    zones = parse_config(variant(existing_vpc=EXISTING, edge_zones=[
        {"name": LOCAL, "public_subnet_id": "subnet-0123456789abcdef7"},
        {"name": WAVELENGTH, "public_subnet_id": "subnet-0123456789abcdef8",
         "private_subnet_id": "subnet-0123456789abcdef9"}])).edge_zones
    assert [(z.public_cidr, z.public_subnet_id, z.private_subnet_id) for z in zones] == [
        (None, "subnet-0123456789abcdef7", None), (None, "subnet-0123456789abcdef8", "subnet-0123456789abcdef9")]


def test_subnet_ids_without_an_existing_vpc_are_refused():
    assert "edge_zones[0].public_subnet_id: the network tier creates the edge subnets" in refused(
        edge_zones=[{"name": LOCAL, "public_subnet_id": "subnet-0123456789abcdef7"}])
