"""The rules between configuration keys, checked once every key has parsed (keys.CROSS_KEY_RULES in
keys.py lists them for the reference, as what a JSON Schema of the file cannot say)."""
from __future__ import annotations

import ipaddress
from typing import Any

from .edge_reading import check_edge_zones
from .keys import BY_PATH
from .limits import Publish
from .reader import Reader, show
from .regions import partition_of
from .sts import IssuerHosting


def cross_checks(r: Reader, v: dict[str, Any]) -> None:
    """Rules that involve more than one key; only run once every key parsed."""
    network = ipaddress.IPv4Network(v["vpc_cidr"])
    subnet_prefix = 32 - v["subnet_bits"]
    # Six blocks need 3 bits of room; an existing VPC's subnets are carved by its owner.
    if subnet_prefix - network.prefixlen < 3 and v["existing_vpc"] is None:
        smallest = network.prefixlen + 3
        r.problems.append(
            f"subnet_bits: {v['subnet_bits']} does not fit vpc_cidr {v['vpc_cidr']}: six /{subnet_prefix} subnets "
            f"need a VPC of at least /{subnet_prefix - 3}; expected at most {32 - smallest} for this VPC")
    partition = partition_of(v["region"])
    if v["publish"] is Publish.EXTERNAL and not partition.allows_external_publish:
        r.problems.append(f"publish: 'External' is not available in the {partition.name} partition (no public "
                          "hosted zone, no alias records to NLBs); expected 'Internal'")
    if v["public_zone_id"] is not None and v["publish"] is Publish.INTERNAL:
        r.problems.append("public_zone_id: an Internal cluster has no public record; expected null")
    if not v["nat_gateways"] and not v["restricted_network"] and v["existing_vpc"] is None:
        r.problems.append("nat_gateways: false leaves the private subnets without a route out; "
                          "expected true, or restricted_network: true (VPC endpoints instead)")
    _existing_infrastructure_checks(r, v)
    v["edge_zones"] = check_edge_zones(r, v)


def _existing_infrastructure_checks(r: Reader, v: dict[str, Any]) -> None:
    """Existing VPC, zone, IAM and keys: each must fit the cluster it is handed to."""
    existing, partition, pools = v["existing_vpc"], partition_of(v["region"]), \
        {"bootstrap": v["bootstrap"], "control_plane": v["control_plane"], "compute": v["compute"]}
    if existing is not None:
        azs = v["availability_zones"]
        for az in azs:
            if az not in existing.subnets:
                r.problems.append(f"existing_vpc.subnets: availability zone {az!r} has no subnets; expected "
                                  "a private (and a public) subnet ID for every one of availability_zones")
        for az in existing.subnets:
            if az not in azs:
                r.problems.append(f"existing_vpc.subnets.{az}: not one of availability_zones; expected only "
                                  f"{', '.join(azs)}")
        needs_public = [why for why, needed in (("publish is External", v["publish"] is Publish.EXTERNAL),
                                                 ("bootstrap.subnet is public", v["bootstrap"].subnet == "public"))
                        if needed]
        for az, subnets in existing.subnets.items():
            if subnets.public is None and needs_public and az in azs:
                r.problems.append(f"existing_vpc.subnets.{az}.public: missing; expected a public subnet ID, as "
                                  f"{' and '.join(needs_public)}")
        seen: dict[str, str] = {}
        for az, subnets in existing.subnets.items():
            for role in ("private", "public"):
                ident = getattr(subnets, role)
                if ident is None:
                    continue
                if ident in seen:
                    r.problems.append(f"existing_vpc.subnets.{az}.{role}: {ident!r} is also "
                                      f"existing_vpc.subnets.{seen[ident]}; expected one subnet per role and AZ")
                seen.setdefault(ident, f"{az}.{role}")
        # The VPC is the network team's: the keys that shape a VPC the project builds have no say in it.
        for key in ("network_acl", "restricted_network", "nat_gateways"):
            default = BY_PATH[key].default
            if v[key] != default:
                r.problems.append(f"{key}: {show(v[key])} shapes a VPC the project creates, and existing_vpc is "
                                  f"given; expected {show(default)} (the existing VPC's own setup applies)")
    credentials = v["credentials"]
    if credentials is not None and credentials.issuer_hosting is IssuerHosting.CLOUDFRONT and partition.name != "aws":
        # No CloudFront in GovCloud; in China it needs an ICP-registered domain of the operator's own.
        r.problems.append(f"credentials.issuer_hosting: 'cloudfront' is not available in the {partition.name} "
                          "partition for the issuer; expected 'public_bucket'")
    if v["private_zone_role_arn"] is not None and v["private_zone_id"] is None:
        r.problems.append("private_zone_role_arn: writes records into an existing private zone; expected "
                          "private_zone_id as well, or null")
    arns = {"iam_permissions_boundary": v["iam_permissions_boundary"],
            "private_zone_role_arn": v["private_zone_role_arn"]}
    for key, arn in arns.items():
        if arn is not None and arn.split(":")[1] != partition.name:
            r.problems.append(f"{key}: {arn!r} is in partition {arn.split(':')[1]!r}; expected an ARN of the "
                              f"cluster's partition ({partition.name})")
    keys = {f"{pool}.root_volume_kms_key_arn": (config.root_volume_kms_key_arn, v["region"])
            for pool, config in pools.items()}
    keys["bootstrap.ignition_kms_key_arn"] = (v["bootstrap"].ignition_kms_key_arn, v["region"])
    keys["state.kms_key_arn"] = (v["state"].kms_key_arn, v["state"].region or v["region"])
    for key, (arn, region) in keys.items():
        if arn is None:
            continue
        _, arn_partition, _, arn_region, *_ = arn.split(":")
        if arn_partition != partition.name:
            r.problems.append(f"{key}: {arn!r} is in partition {arn_partition!r}; expected a key of the "
                              f"cluster's partition ({partition.name})")
        elif arn_region != region:
            r.problems.append(f"{key}: {arn!r} is a key of region {arn_region!r}; expected a key of {region} "
                              "(KMS keys are regional)")
    if v["bootstrap"].ignition_kms_key_arn is not None and v["bootstrap"].ignition is not None \
            and not v["bootstrap"].ignition_is_local:
        r.problems.append("bootstrap.ignition_kms_key_arn: encrypts the bucket the tier uploads a local "
                          "bootstrap.ign to, and bootstrap.ignition is a URL; expected null")
    created = [pool for pool, config in pools.items() if config.instance_profile is None]
    if not created and v["credentials"] is None:  # the credentials tier's roles take them too
        for key in ("iam_permissions_boundary", "iam_path"):
            if v[key] is not None:
                r.problems.append(f"{key}: applies to the roles the project creates, and every pool's "
                                  "instance_profile is an existing one (bootstrap, control_plane, compute); "
                                  "expected null, or set it on those roles yourself")
