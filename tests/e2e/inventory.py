"""What exists in the emulator, listed through the AWS APIs (boto3), as plain data.

Tests compare these listings with what the configuration asks for; they never
read Terraform state to decide what was created.
"""
from __future__ import annotations

from typing import Any


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def inventory(emulator: Any) -> dict[str, Any]:
    ec2, elb = emulator.client("ec2"), emulator.client("elbv2")
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    vpc_ids = [v["VpcId"] for v in vpcs]
    in_vpcs = [{"Name": "vpc-id", "Values": vpc_ids}] if vpc_ids else None

    def listed(call, key, **kwargs):
        return call(Filters=in_vpcs, **kwargs)[key] if in_vpcs else []

    result: dict[str, Any] = {
        "vpcs": [{"id": v["VpcId"], "cidr": v["CidrBlock"], "tags": _tags(v),
                  "dns_support": ec2.describe_vpc_attribute(VpcId=v["VpcId"], Attribute="enableDnsSupport")
                  ["EnableDnsSupport"]["Value"],
                  "dns_hostnames": ec2.describe_vpc_attribute(VpcId=v["VpcId"], Attribute="enableDnsHostnames")
                  ["EnableDnsHostnames"]["Value"]} for v in vpcs],
        "subnets": [{"id": s["SubnetId"], "cidr": s["CidrBlock"], "az": s["AvailabilityZone"], "tags": _tags(s)}
                    for s in listed(ec2.describe_subnets, "Subnets")],
        "nat_gateways": [{"id": n["NatGatewayId"], "subnet": n["SubnetId"]}
                         for n in listed(ec2.describe_nat_gateways, "NatGateways") if n["State"] != "deleted"],
        "route_tables": [{"id": t["RouteTableId"], "tags": _tags(t),
                          "subnets": sorted(a["SubnetId"] for a in t["Associations"] if a.get("SubnetId")),
                          "default_route": next(({k: v for k, v in r.items()
                                                  if k in ("GatewayId", "NatGatewayId", "CarrierGatewayId")}
                                                 for r in t["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"),
                                                None)}
                         for t in listed(ec2.describe_route_tables, "RouteTables") if not _is_main(t)],
        "carrier_gateways": [{"id": g["CarrierGatewayId"], "tags": _tags(g)}
                             for g in listed(ec2.describe_carrier_gateways, "CarrierGateways")
                             if g["State"] not in ("deleting", "deleted")],
        "endpoints": [{"service": e["ServiceName"], "type": e["VpcEndpointType"],
                       "route_tables": sorted(e.get("RouteTableIds", []))}
                      for e in listed(ec2.describe_vpc_endpoints, "VpcEndpoints")],
        "security_groups": {g["GroupId"]: g["GroupName"] for g in listed(ec2.describe_security_groups, "SecurityGroups")
                            if g["GroupName"] != "default"},
        "instances": [{"id": i["InstanceId"], "name": _tags(i).get("Name"), "type": i["InstanceType"],
                       "private_ip": i.get("PrivateIpAddress"), "public_ip": i.get("PublicIpAddress"),
                       "subnet": i.get("SubnetId"), "groups": sorted(g["GroupId"] for g in i["SecurityGroups"]),
                       "profile": i.get("IamInstanceProfile", {}).get("Arn", "").rsplit("/", 1)[-1],
                       "user_data": _user_data(ec2, i["InstanceId"])}
                      for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                      if i["State"]["Name"] not in ("terminated", "shutting-down")],
    }
    result["rules"] = [_rule(r, result["security_groups"]) for r in ec2.describe_security_group_rules()
                       ["SecurityGroupRules"] if r["GroupId"] in result["security_groups"]]
    result["load_balancers"] = [{"name": lb["LoadBalancerName"], "scheme": lb["Scheme"], "type": lb["Type"],
                                 "arn": lb["LoadBalancerArn"], "dns": lb["DNSName"],
                                 "subnets": sorted(z["SubnetId"] for z in lb["AvailabilityZones"])}
                                for lb in elb.describe_load_balancers()["LoadBalancers"]]
    result["listeners"] = [{"lb": lb["name"], "port": ls["Port"], "protocol": ls["Protocol"],
                            "target_group": ls["DefaultActions"][0]["TargetGroupArn"]}
                           for lb in result["load_balancers"]
                           for ls in elb.describe_listeners(LoadBalancerArn=lb["arn"])["Listeners"]]
    result["target_groups"] = [{"name": g["TargetGroupName"], "arn": g["TargetGroupArn"], "port": g["Port"],
                                "protocol": g["Protocol"], "target_type": g["TargetType"],
                                "health": (g["HealthCheckProtocol"], g.get("HealthCheckPath"), g["HealthCheckPort"],
                                           g["HealthCheckIntervalSeconds"], g["HealthyThresholdCount"],
                                           g["UnhealthyThresholdCount"]),
                                "targets": sorted(t["Target"]["Id"] for t in elb.describe_target_health(
                                    TargetGroupArn=g["TargetGroupArn"])["TargetHealthDescriptions"])}
                               for g in elb.describe_target_groups()["TargetGroups"]]
    result.update(_dns(emulator.client("route53")))
    result.update(_iam(emulator.client("iam")))
    result["buckets"] = {b["Name"]: sorted(o["Key"] for o in emulator.client("s3").list_objects_v2(
        Bucket=b["Name"]).get("Contents", [])) for b in emulator.client("s3").list_buckets()["Buckets"]}
    return result


def _is_main(table: dict[str, Any]) -> bool:
    return any(a.get("Main") for a in table["Associations"])


def _user_data(ec2: Any, instance_id: str) -> str:
    import base64
    value = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData").get("UserData", {})
    return base64.b64decode(value["Value"]).decode() if value.get("Value") else ""


def _rule(rule: dict[str, Any], groups: dict[str, str]) -> dict[str, Any]:
    source = rule.get("CidrIpv4") or groups.get(rule.get("ReferencedGroupInfo", {}).get("GroupId"), "?")
    ports = None if rule.get("FromPort") in (None, -1) and rule.get("ToPort") in (None, -1) \
        else (rule["FromPort"], rule["ToPort"])
    return {"group": groups[rule["GroupId"]], "egress": rule["IsEgress"], "protocol": rule["IpProtocol"],
            "ports": ports, "source": source, "description": rule.get("Description")}


def _dns(route53: Any) -> dict[str, Any]:
    zones = {}
    for zone in route53.list_hosted_zones()["HostedZones"]:
        records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        zones[zone["Name"]] = {
            "private": zone["Config"]["PrivateZone"],
            "vpcs": [v["VPCId"] for v in route53.get_hosted_zone(Id=zone["Id"]).get("VPCs", [])],
            "records": {(r["Name"], r["Type"]): r.get("AliasTarget", {}).get("DNSName") or
                        [v["Value"] for v in r.get("ResourceRecords", [])]
                        for r in records if r["Type"] not in ("SOA", "NS")}}
    return {"zones": zones}


def _iam(iam: Any) -> dict[str, Any]:
    roles = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        policies = {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                    for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}
        roles[name] = {"trust": role["AssumeRolePolicyDocument"], "policies": policies}
    profiles = {p["InstanceProfileName"]: [r["RoleName"] for r in p["Roles"]]
                for p in iam.list_instance_profiles()["InstanceProfiles"]}
    return {"roles": roles, "profiles": profiles}
