"""The brownfield flow: the cluster installed into what other teams handed over.

Before anything is synthesized, `hand_over()` creates with boto3 what an
organisation gives a platform team: a VPC with one private subnet (its route
table, and tags of its own), a security group the monitoring team requires on
workers, instance profiles with roles for masters and workers, a permissions
boundary, a KMS key, and the cluster's private zone in *another account*, whose
records may only be written through a role of that account. `configuration()`
is what the cluster's configuration says about them (docs/existing-infrastructure.md).

`handed_state()` describes every one of them through the APIs, so the flow can
show that destroy left each exactly as it was handed over; `observe()` records
what the applied cluster did with them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from modules.configuration import ClusterConfig, Tier

ZONE_ACCOUNT = "111111111111"  # moto keeps accounts apart: the default credentials cannot see this one's zones
ZONE_ROLE = f"arn:aws:iam::{ZONE_ACCOUNT}:role/ocp-dns-writer"
AZ = "us-east-1a"
VPC_CIDR = "10.0.0.0/16"
PRIVATE_CIDR = "10.0.48.0/20"  # where the reference carving puts the first AZ's private subnet
SUBNET_TAGS = {"Name": "network-team-private-a", "owner": "network-team"}
IAM_PATH = "/openshift/"
EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@dataclass(frozen=True)
class Handed:
    vpc_id: str
    subnet_id: str
    route_table_id: str
    group_id: str
    key_arn: str
    boundary_arn: str
    zone_id: str
    profiles: dict[str, str]  # pool -> instance profile name

    def configuration(self) -> dict[str, Any]:
        """The configuration keys that hand the cluster these resources."""
        return {
            "existing_vpc": {"vpc_id": self.vpc_id, "subnets": {AZ: {"private": self.subnet_id}}},
            "private_zone_id": self.zone_id, "private_zone_role_arn": ZONE_ROLE,
            "iam_path": IAM_PATH, "iam_permissions_boundary": self.boundary_arn,
            "state": {"kms_key_arn": self.key_arn},
            "bootstrap": {"ignition": "install/bootstrap.ign", "root_volume_kms_key_arn": self.key_arn,
                          "ignition_kms_key_arn": self.key_arn},
            "control_plane": {"instance_profile": self.profiles["master"], "root_volume_kms_key_arn": self.key_arn},
            "compute": {"instance_profile": self.profiles["worker"], "root_volume_kms_key_arn": self.key_arn,
                        "additional_security_group_ids": [self.group_id]},
        }


def hand_over(emulator: Any, cluster_domain: str) -> Handed:
    ec2, iam = emulator.client("ec2"), emulator.client("iam")
    vpc = ec2.create_vpc(CidrBlock=VPC_CIDR, TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "network-team-vpc"}]}])["Vpc"]["VpcId"]
    for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
        ec2.modify_vpc_attribute(VpcId=vpc, **{attribute: {"Value": True}})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=PRIVATE_CIDR, AvailabilityZone=AZ, TagSpecifications=[
        {"ResourceType": "subnet", "Tags": [{"Key": k, "Value": v} for k, v in SUBNET_TAGS.items()]}])
    subnet_id = subnet["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet_id)
    group = ec2.create_security_group(GroupName="corp-monitoring", Description="Monitoring agents", VpcId=vpc)
    key = emulator.client("kms").create_key(Description="ocp volumes and state")["KeyMetadata"]["Arn"]
    boundary = iam.create_policy(PolicyName="ocp-boundary", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:*", "elasticloadbalancing:*",
                                                                             "s3:GetObject", "kms:Decrypt"],
                                                "Resource": "*"}]}))["Policy"]["Arn"]
    profiles = {}
    for pool in ("master", "worker"):
        name = f"corp-ocp-{pool}"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
        iam.put_role_policy(RoleName=name, PolicyName="nodes", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}))
        iam.create_instance_profile(InstanceProfileName=name)
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        profiles[pool] = name
    zone = emulator.client("route53", role_arn=ZONE_ROLE).create_hosted_zone(
        Name=cluster_domain, CallerReference="dns-team", VPC={"VPCRegion": emulator.region, "VPCId": vpc},
        HostedZoneConfig={"PrivateZone": True, "Comment": "handed over by the DNS team"})
    return Handed(vpc, subnet_id, table, group["GroupId"], key, boundary, zone["HostedZone"]["Id"].rsplit("/", 1)[-1],
                  profiles)


def zone_records(emulator: Any, zone_id: str) -> list[dict[str, Any]]:
    """Every record of the handed zone, read through the zone account's role."""
    route53 = emulator.client("route53", role_arn=ZONE_ROLE)
    return route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]


def handed_state(emulator: Any, handed: Handed) -> dict[str, Any]:
    """Everything about the handed resources that a destroy could have changed."""
    ec2, iam, kms = emulator.client("ec2"), emulator.client("iam"), emulator.client("kms")
    [vpc] = ec2.describe_vpcs(VpcIds=[handed.vpc_id])["Vpcs"]
    [subnet] = ec2.describe_subnets(SubnetIds=[handed.subnet_id])["Subnets"]
    [table] = ec2.describe_route_tables(RouteTableIds=[handed.route_table_id])["RouteTables"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [handed.group_id]}])
    roles = {}
    for name in handed.profiles.values():
        role = iam.get_role(RoleName=name)["Role"]
        roles[name] = {"path": role["Path"], "trust": role["AssumeRolePolicyDocument"],
                       "boundary": role.get("PermissionsBoundary"),
                       "policies": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                                    for p in iam.list_role_policies(RoleName=name)["PolicyNames"]},
                       "profile": [r["RoleName"] for r in
                                   iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"]]}
    route53 = emulator.client("route53", role_arn=ZONE_ROLE)
    key = kms.describe_key(KeyId=handed.key_arn)["KeyMetadata"]
    return {
        "vpc": (vpc["CidrBlock"], sorted((t["Key"], t["Value"]) for t in vpc.get("Tags", []))),
        "subnet": (subnet["CidrBlock"], subnet["AvailabilityZone"], subnet["VpcId"],
                   sorted((t["Key"], t["Value"]) for t in subnet.get("Tags", []))),
        "route_table": (sorted(json.dumps(r, sort_keys=True) for r in table["Routes"]),
                        sorted(a.get("SubnetId", "main") for a in table["Associations"])),
        "group": sorted(json.dumps({k: v for k, v in r.items() if k != "SecurityGroupRuleId"}, sort_keys=True)
                        for r in rules["SecurityGroupRules"]),
        "key": (key["KeyState"], key["Enabled"]),
        "boundary": iam.get_policy(PolicyArn=handed.boundary_arn)["Policy"]["DefaultVersionId"],
        "roles": roles,
        "zone": (route53.get_hosted_zone(Id=handed.zone_id)["VPCs"],
                 sorted(json.dumps(r, sort_keys=True) for r in zone_records(emulator, handed.zone_id))),
    }


def observe(emulator: Any, config: ClusterConfig, handed: Handed) -> dict[str, Any]:
    """What the applied cluster did with what it was handed (before day 2 changes the machines)."""
    ec2, s3, iam = emulator.client("ec2"), emulator.client("s3"), emulator.client("iam")
    machines = {tag["Value"]: instance["InstanceId"] for reservation in ec2.describe_instances()["Reservations"]
                for instance in reservation["Instances"] if instance["State"]["Name"] == "running"
                for tag in instance.get("Tags", []) if tag["Key"] == "Name"}
    volumes = {name: [(v["Encrypted"], v.get("KmsKeyId")) for v in ec2.describe_volumes(Filters=[
        {"Name": "attachment.instance-id", "Values": [ident]}])["Volumes"]] for name, ident in machines.items()}
    state_bucket = config.resolved_state_bucket
    objects = {key: s3.head_object(Bucket=state_bucket, Key=key) for key in
               [config.state_key(tier) for tier in config.tiers if tier is not Tier.STATE]}
    objects["bootstrap.ign"] = s3.head_object(Bucket=f"{config.infra_id}-bootstrap", Key="bootstrap.ign")
    bootstrap_role = iam.get_role(RoleName=f"{config.infra_id}-bootstrap-role")["Role"]
    bootstrap_profile = iam.get_instance_profile(InstanceProfileName=f"{config.infra_id}-bootstrap-profile")
    [subnet] = ec2.describe_subnets(SubnetIds=[handed.subnet_id])["Subnets"]
    return {
        "machines": machines,
        "volumes": volumes,
        "encryption": {key: (head.get("ServerSideEncryption"), head.get("SSEKMSKeyId")) for key, head in objects.items()},
        "bucket_keys": {bucket: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
                        ["ApplyServerSideEncryptionByDefault"]
                        for bucket in (state_bucket, f"{config.infra_id}-bootstrap")},
        "bootstrap_role": (bootstrap_role["Path"], bootstrap_role.get("PermissionsBoundary", {})
                           .get("PermissionsBoundaryArn"), bootstrap_profile["InstanceProfile"]["Path"]),
        "subnet_tags": {t["Key"]: t["Value"] for t in subnet.get("Tags", [])},
        "zone_records": {(r["Name"], r["Type"]): r.get("AliasTarget", {}).get("DNSName")
                         for r in zone_records(emulator, handed.zone_id) if r["Type"] not in ("SOA", "NS")},
        "own_account_zones": [z["Name"] for z in emulator.client("route53").list_hosted_zones()["HostedZones"]],
    }
