"""Teardown's deletion order against the strict emulator (tests/conftest.py), offline.

What a running cluster creates is planted in the in-process emulator. The product's
order (removal.py) deletes all of it without a single "in use" refusal; the same
deletions in the reverse order (a test double, never the product) are refused,
which shows the emulator would catch a wrong order.
"""
from __future__ import annotations

from typing import Any

import pytest

from conftest import variant
from modules.configuration import parse_config
from modules.operations import removal
from modules.operations.cluster_resources import ORDER, Aws, Scope, plan_removal, read_answers

KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def plant(aws: Any, infra: str, cidr: str) -> Scope:
    """A cluster's VPC with what the cluster made in it (cf. tests/e2e/teardown.py, which plants the same
    beside a real applied cluster)."""
    ec2, elb, elbv2, iam, s3, route53 = (aws(s) for s in ("ec2", "elb", "elbv2", "iam", "s3", "route53"))
    owned = {"Key": f"kubernetes.io/cluster/{infra}", "Value": "owned"}
    tagged = lambda kind: [{"ResourceType": kind, "Tags": [owned]}]  # noqa: E731
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.2.0/24")["Subnet"]["SubnetId"]
    workers = ec2.create_security_group(GroupName=f"{infra}-worker-sg", Description="w", VpcId=vpc)["GroupId"]
    router = ec2.create_security_group(GroupName=f"k8s-elb-{infra}", Description="router", VpcId=vpc,
                                       TagSpecifications=tagged("security-group"))["GroupId"]
    service = ec2.create_security_group(GroupName=f"k8s-nlb-{infra}", Description="nlb", VpcId=vpc,
                                        TagSpecifications=tagged("security-group"))["GroupId"]
    elb.create_load_balancer(LoadBalancerName=f"a{infra.replace('-', '')}", Subnets=[public], SecurityGroups=[router],
                             Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 443, "InstancePort": 31443}],
                             Tags=[owned])
    nlb = elbv2.create_load_balancer(Name=f"{infra}-nlb", Subnets=[public], SecurityGroups=[service],
                                     Type="network", Tags=[owned])["LoadBalancers"][0]["LoadBalancerArn"]
    targets = elbv2.create_target_group(Name=f"{infra}-tg", Protocol="TCP", Port=30443, VpcId=vpc,
                                        Tags=[owned])["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(LoadBalancerArn=nlb, Protocol="TCP", Port=443,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": targets}])
    ec2.authorize_security_group_ingress(GroupId=workers, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 30000, "ToPort": 32767, "UserIdGroupPairs": [{"GroupId": router}]}])
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=private, SecurityGroupIds=[workers],
                      TagSpecifications=tagged("instance"))
    ec2.create_network_interface(SubnetId=private, Groups=[service], TagSpecifications=tagged("network-interface"))
    iam.create_user(UserName=f"{infra}-openshift-image-registry", Tags=[owned])
    iam.create_access_key(UserName=f"{infra}-openshift-image-registry")
    s3.create_bucket(Bucket=f"{infra}-image-registry")
    s3.put_bucket_tagging(Bucket=f"{infra}-image-registry", Tagging={"TagSet": [owned]})
    s3.put_object(Bucket=f"{infra}-image-registry", Key="layer", Body=b"x")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, TagSpecifications=tagged("volume"))["VolumeId"]
    ec2.create_snapshot(VolumeId=volume, TagSpecifications=tagged("snapshot"))
    domain = f"{infra}.example.com"
    zone = route53.create_hosted_zone(Name=domain, CallerReference=infra)["HostedZone"]["Id"].rsplit("/", 1)[-1]
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "CREATE", "ResourceRecordSet": {"Name": f"*.apps.{domain}", "Type": "CNAME", "TTL": 30,
                                                  "ResourceRecords": [{"Value": "router.example.net"}]}}]})
    return Scope(infra, domain, vpc, (zone,))


@pytest.fixture
def aws(emulator: str) -> Aws:
    endpoints = {s: emulator for s in ("ec2", "elb", "elbv2", "iam", "route53", "s3", "sts")}
    return Aws(parse_config(variant(aws_endpoints=endpoints)), KEYS)


def discover(aws: Aws, scope: Scope):
    return plan_removal(read_answers(aws, scope), scope, set())


def test_the_products_order_removes_everything_without_one_refusal(aws):
    scope = plant(aws, "order-7q2w", "10.31")
    found = discover(aws, scope)
    assert {item.kind for item in found} == set(ORDER)
    removal.remove(aws, found, log=lambda message: None, seconds=0)  # the first "in use" would fail it
    assert discover(aws, scope) == []


def test_the_reverse_order_is_refused_by_the_emulator(aws):
    """A test double deletes in the reverse order, each object with the one call that deletes it."""
    from botocore.exceptions import ClientError

    scope = plant(aws, "rev-3k8d", "10.32")
    held = groups(aws, scope)  # the router's, used by its balancer and named by the workers' rule; the NLB's
    assert len(held) == 2
    listened = aws("elbv2").describe_target_groups(Names=[f"{scope.infra_id}-tg"])["TargetGroups"][0]
    refused = {}
    for item in reversed(discover(aws, scope)):
        try:
            if item.kind == "instance":
                aws("ec2").terminate_instances(InstanceIds=[item.id])
            elif item.kind == "IAM user":
                aws("iam").delete_user(UserName=item.id)  # the product removes the keys first
            elif item.kind == "bucket":
                aws("s3").delete_bucket(Bucket=item.id)  # the product empties it first
            else:
                removal.delete(aws, item)
        except ClientError as error:
            refused[str(item).split(" (")[0]] = error.response["Error"]["Code"]
    assert refused == {
        f"IAM user {scope.infra_id}-openshift-image-registry": "DeleteConflict",
        f"bucket {scope.infra_id}-image-registry": "BucketNotEmpty",
        f"target group {listened['TargetGroupArn']}": "ResourceInUse",  # the NLB's listener forwards to it
        **{f"security group {group}": "DependencyViolation" for group in held}}


def groups(aws: Aws, scope: Scope) -> list[str]:
    return [g["GroupId"] for g in aws("ec2").describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [scope.vpc_id]}, {"Name": f"tag:{scope.tag}", "Values": ["owned"]}])[
        "SecurityGroups"]]
