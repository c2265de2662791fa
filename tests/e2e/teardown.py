"""What a running cluster creates, planted with boto3 before a flow's destroy, and decoys that must survive.

`plant()` creates, in the flow's emulator, the resources an OpenShift cluster
makes of its own (tagged `kubernetes.io/cluster/<infra_id>: owned`, in the
cluster's VPC and zones), and decoys: an untagged volume, a bucket and a volume
tagged for another cluster, and a public record outside the cluster's domain.
`exists()` asks the APIs which of them are still there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modules.configuration import ClusterConfig

OTHER_INFRA_ID = "other-9zq2w"


@dataclass
class Planted:
    cluster: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (kind, ID as teardown names it)
    decoys: dict[str, tuple[str, str]] = field(default_factory=dict)
    data: set[str] = field(default_factory=set)  # labels of the cluster's data (bucket, volume, snapshot)
    zone_role: str | None = None  # the private zone is another account's, reached through this role


def _tag(infra_id: str, value: str = "owned") -> dict[str, str]:
    return {"Key": f"kubernetes.io/cluster/{infra_id}", "Value": value}


def _zone_id(route53: Any, name: str, private: bool) -> str:
    zones = route53.list_hosted_zones_by_name(DNSName=name)["HostedZones"]
    return next(z["Id"].rsplit("/", 1)[-1] for z in zones
                if z["Name"] == f"{name}." and z["Config"]["PrivateZone"] == private)


def _cname(route53: Any, zone: str, name: str, target: str) -> None:
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": "CNAME", "TTL": 30,
                                                  "ResourceRecords": [{"Value": target}]}}]})


def plant(emulator: Any, config: ClusterConfig, found: dict[str, Any]) -> Planted:
    """`found` is the flow's inventory after apply (its VPC, subnets and groups)."""
    ec2, elb, elbv2 = emulator.client("ec2"), emulator.client("elb"), emulator.client("elbv2")
    route53, s3, iam = emulator.client("route53"), emulator.client("s3"), emulator.client("iam")
    infra, planted = config.infra_id, Planted(zone_role=config.private_zone_role_arn)
    owned = _tag(infra)
    vpc = found["vpcs"][0]["id"]
    public = sorted(s["id"] for s in found["subnets"] if "kubernetes.io/role/elb" in s["tags"])
    private = sorted(s["id"] for s in found["subnets"] if "kubernetes.io/role/internal-elb" in s["tags"])
    # An Internal cluster in a VPC without public subnets gets internal load balancers.
    balanced, scheme = (public, "internet-facing") if public else (private, "internal")
    worker_group = next(gid for gid, name in found["security_groups"].items() if name == f"{infra}-worker-sg")

    # The ingress operator's load balancers, each with its k8s-elb group.
    groups = {}
    for kind in ("classic", "nlb"):
        groups[kind] = ec2.create_security_group(
            GroupName=f"k8s-elb-{kind}0123456789abcdef", Description=f"Security group for Kubernetes ELB ({kind})",
            VpcId=vpc, TagSpecifications=[{"ResourceType": "security-group", "Tags": [owned]}])["GroupId"]
        planted.cluster[f"{kind} group"] = ("security group", groups[kind])
    classic = "a0123456789abcdef0123456789abcde"
    elb.create_load_balancer(LoadBalancerName=classic, Subnets=balanced, SecurityGroups=[groups["classic"]],
                             Scheme=scheme,
                             Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 443, "InstanceProtocol": "TCP",
                                         "InstancePort": 31443}], Tags=[owned])
    planted.cluster["classic load balancer"] = ("classic load balancer", classic)
    nlb = elbv2.create_load_balancer(Name="a9876543210fedcba-nlb", Subnets=balanced, Type="network",
                                     Scheme=scheme, SecurityGroups=[groups["nlb"]],
                                     Tags=[owned])["LoadBalancers"][0]
    planted.cluster["network load balancer"] = ("load balancer", nlb["LoadBalancerArn"])
    # The cloud provider opens the node ports on the worker group to the ELB's group.
    rule = ec2.authorize_security_group_ingress(GroupId=worker_group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 30000, "ToPort": 32767,
        "UserIdGroupPairs": [{"GroupId": groups["classic"]}]}])["SecurityGroupRules"][0]
    planted.cluster["worker rule to the ELB group"] = ("security group rule", rule["SecurityGroupRuleId"])

    # *.apps records in both zones; a public record outside the cluster's domain is not the cluster's.
    apps = f"*.apps.{config.cluster_domain}"
    for label, private_zone in (("private", True), ("public", False)):
        client = emulator.client("route53", role_arn=planted.zone_role) if private_zone and planted.zone_role \
            else route53
        zone = _zone_id(client, config.cluster_domain if private_zone else config.base_domain, private_zone)
        _cname(client, zone, apps, f"{classic}.us-east-1.elb.amazonaws.com")
        planted.cluster[f"{label} apps record"] = ("record", f"{apps} CNAME")
    _cname(route53, _zone_id(route53, config.base_domain, False), f"www.{config.base_domain}", "example.net")
    planted.decoys["public record outside the domain"] = ("record", f"www.{config.base_domain} CNAME")

    # Data: the image registry's bucket, a persistent volume and its snapshot.
    bucket = f"{infra}-image-registry-us-east-1-abcdefgh"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [owned]})
    s3.put_object(Bucket=bucket, Key="docker/registry/v2/repositories/x", Body=b"layer")
    planted.cluster["registry bucket"] = ("bucket", bucket)
    other_bucket = f"{OTHER_INFRA_ID}-image-registry-us-east-1-abcdefgh"
    s3.create_bucket(Bucket=other_bucket)
    s3.put_bucket_tagging(Bucket=other_bucket, Tagging={"TagSet": [_tag(OTHER_INFRA_ID)]})
    planted.decoys["another cluster's bucket"] = ("bucket", other_bucket)
    az = config.availability_zones[0]
    for label, tags, into in (("persistent volume", [owned], planted.cluster), ("untagged volume", [], planted.decoys),
                              ("another cluster's volume", [_tag(OTHER_INFRA_ID)], planted.decoys)):
        specs = [{"ResourceType": "volume", "Tags": tags}] if tags else []
        volume = ec2.create_volume(AvailabilityZone=az, Size=10, TagSpecifications=specs)["VolumeId"]
        into[label] = ("volume", volume)
    snapshot = ec2.create_snapshot(VolumeId=planted.cluster["persistent volume"][1], TagSpecifications=[
        {"ResourceType": "snapshot", "Tags": [owned]}])["SnapshotId"]
    planted.cluster["volume snapshot"] = ("snapshot", snapshot)
    planted.data = {"registry bucket", "persistent volume", "volume snapshot"}

    # The cloud-credential operator's user, and a machine from a MachineSet.
    user = f"{infra}-openshift-image-registry-x7k2q"
    iam.create_user(UserName=user, Tags=[owned])
    iam.create_access_key(UserName=user)
    planted.cluster["credential operator's user"] = ("IAM user", user)
    machine = ec2.run_instances(ImageId=config.rhcos_ami, MinCount=1, MaxCount=1, InstanceType="m5.large",
                                SubnetId=private[0], TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                    owned, {"Key": "Name", "Value": f"{infra}-worker-us-east-1a-abcde"}]}])
    planted.cluster["machine from a MachineSet"] = ("instance", machine["Instances"][0]["InstanceId"])
    # An edge MachineSet's machine, in an edge zone's subnet (its subnet would refuse the delete while it runs).
    edge = sorted((s["az"], s["id"]) for s in found["subnets"] if s["az"] not in config.availability_zones)
    if edge:
        zone, subnet = edge[0]
        machine = ec2.run_instances(ImageId=config.rhcos_ami, MinCount=1, MaxCount=1, InstanceType="c5d.2xlarge",
                                    SubnetId=subnet, TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                        owned, {"Key": "Name", "Value": f"{infra}-edge-{zone}-fghij"}]}])
        planted.cluster["machine in an edge zone"] = ("instance", machine["Instances"][0]["InstanceId"])
    return planted


def exists(emulator: Any, kind: str, ident: str, zone_role: str | None = None) -> bool:
    """Whether the resource `teardown` would name `kind ident` is still there (records: also in the
    zones `zone_role` reaches)."""
    from botocore.exceptions import ClientError

    ec2 = emulator.client("ec2")
    try:
        if kind == "instance":
            states = [i["State"]["Name"] for r in ec2.describe_instances(InstanceIds=[ident])["Reservations"]
                      for i in r["Instances"]]
            return any(state not in ("terminated", "shutting-down") for state in states)
        if kind == "load balancer":
            return bool(emulator.client("elbv2").describe_load_balancers(LoadBalancerArns=[ident])["LoadBalancers"])
        if kind == "classic load balancer":
            return bool(emulator.client("elb").describe_load_balancers(
                LoadBalancerNames=[ident])["LoadBalancerDescriptions"])
        if kind == "security group":
            return bool(ec2.describe_security_groups(GroupIds=[ident])["SecurityGroups"])
        if kind == "security group rule":
            return bool(ec2.describe_security_group_rules(SecurityGroupRuleIds=[ident])["SecurityGroupRules"])
        if kind == "record":
            name, record_type = ident.rsplit(" ", 1)
            clients = [emulator.client("route53")] + ([emulator.client("route53", role_arn=zone_role)]
                                                      if zone_role else [])
            return any(r["Name"].replace("\\052", "*").rstrip(".") == name and r["Type"] == record_type
                       for route53 in clients for zone in route53.list_hosted_zones()["HostedZones"]
                       for r in route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"])
        if kind == "IAM user":
            return bool(emulator.client("iam").get_user(UserName=ident))
        if kind == "bucket":
            return any(b["Name"] == ident for b in emulator.client("s3").list_buckets()["Buckets"])
        if kind == "volume":
            return bool(ec2.describe_volumes(VolumeIds=[ident])["Volumes"])
        if kind == "snapshot":
            return bool(ec2.describe_snapshots(SnapshotIds=[ident])["Snapshots"])
    except ClientError:
        return False
    raise ValueError(kind)
