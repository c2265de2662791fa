"""The strict emulator (emulator/strict.py, emulator/faults.py), each refusal shown while its
dependency exists and the success once it is gone; and the project's SDK clients surviving faults.

The emulator runs in this process (moto's server in a thread, with the harness's
patches), so these tests need no terraform and run in seconds.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator

import pytest

from conftest import variant
from emulator import HARNESS_RETRIES
from modules.configuration import parse_config

AMI = "ami-12c6146b"  # one of moto's images in us-east-1


@pytest.fixture
def aws(emulator: str):  # the in-process emulator: tests/conftest.py
    import boto3
    from botocore.config import Config

    def client(service: str, retries: dict[str, Any] = HARNESS_RETRIES) -> Any:
        return boto3.client(service, endpoint_url=emulator, region_name="us-east-1", aws_access_key_id="testing",
                            aws_secret_access_key="testing", config=Config(retries=retries))
    return client


@contextmanager
def refused(code: str, message: str) -> Iterator[None]:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        yield
    assert caught.value.response["Error"]["Code"] == code
    assert message in caught.value.response["Error"]["Message"]


def network(ec2: Any) -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    return vpc, subnet


def public_network(ec2: Any) -> tuple[str, str, str]:
    """`network`, with an internet gateway attached."""
    vpc, subnet = network(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return vpc, subnet, igw


def group(ec2: Any, vpc: str, name: str) -> str:
    return ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]


def instance(ec2: Any, subnet: str, groups: list[str], **extra: Any) -> str:
    return ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=groups,
                             **extra)["Instances"][0]["InstanceId"]


# --------------------------------------------------------------------------- refusals


def test_an_instances_group_and_subnet_are_refused_until_the_instance_is_terminated(aws):
    ec2 = aws("ec2")
    vpc, subnet = network(ec2)
    sg = group(ec2, vpc, "nodes")
    machine = instance(ec2, subnet, [sg])
    with refused("DependencyViolation", f"resource {sg} has a dependent object"):
        ec2.delete_security_group(GroupId=sg)
    with refused("DependencyViolation", f"The subnet '{subnet}' has dependencies and cannot be deleted."):
        ec2.delete_subnet(SubnetId=subnet)
    ec2.terminate_instances(InstanceIds=[machine])  # its interface goes with it, as on AWS
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_subnet(SubnetId=subnet)


def test_a_group_another_groups_rule_names_is_refused_until_the_rule_is_revoked(aws):
    ec2 = aws("ec2")
    vpc, _ = network(ec2)
    elb, nodes = group(ec2, vpc, "k8s-elb"), group(ec2, vpc, "workers")
    rule = ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 30000, "ToPort": 32767, "UserIdGroupPairs": [{"GroupId": elb}]}])
    ec2.authorize_security_group_ingress(GroupId=elb, IpPermissions=[{  # a group's rule on itself holds nothing
        "IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "UserIdGroupPairs": [{"GroupId": elb}]}])
    with refused("DependencyViolation", f"resource {elb} has a dependent object"):
        ec2.delete_security_group(GroupId=elb)
    ec2.revoke_security_group_ingress(GroupId=nodes,
                                      SecurityGroupRuleIds=[rule["SecurityGroupRules"][0]["SecurityGroupRuleId"]])
    ec2.delete_security_group(GroupId=elb)


@pytest.mark.parametrize("kind", ["classic", "network"])
def test_a_load_balancers_group_and_subnet_are_refused_until_the_balancer_is_deleted(aws, kind):
    ec2 = aws("ec2")
    vpc, subnet = network(ec2)
    sg = group(ec2, vpc, f"k8s-elb-{kind}")
    if kind == "classic":
        elb = aws("elb")
        elb.create_load_balancer(LoadBalancerName=f"router-{vpc[-6:]}", Subnets=[subnet], SecurityGroups=[sg],
                                 Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 443, "InstancePort": 31443}])
        delete = lambda: elb.delete_load_balancer(LoadBalancerName=f"router-{vpc[-6:]}")  # noqa: E731
    else:
        elbv2 = aws("elbv2")
        arn = elbv2.create_load_balancer(Name=f"nlb-{vpc[-6:]}", Subnets=[subnet], SecurityGroups=[sg],
                                         Type="network")["LoadBalancers"][0]["LoadBalancerArn"]
        delete = lambda: elbv2.delete_load_balancer(LoadBalancerArn=arn)  # noqa: E731
    with refused("DependencyViolation", f"resource {sg} has a dependent object"):
        ec2.delete_security_group(GroupId=sg)
    with refused("DependencyViolation", f"The subnet '{subnet}' has dependencies and cannot be deleted."):
        ec2.delete_subnet(SubnetId=subnet)
    delete()
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_subnet(SubnetId=subnet)


def test_a_gateway_with_mapped_addresses_then_a_vpc_with_a_gateway_or_a_group_are_refused(aws):
    ec2 = aws("ec2")
    vpc, subnet, igw = public_network(ec2)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    with refused("DependencyViolation", f"Network {vpc} has some mapped public address(es)"):
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    with refused("DependencyViolation", f"The subnet '{subnet}' has dependencies"):  # the NAT gateway's interface
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_nat_gateway(NatGatewayId=nat)
    ec2.delete_subnet(SubnetId=subnet)
    with refused("DependencyViolation", f"The vpc '{vpc}' has dependencies and cannot be deleted."):
        ec2.delete_vpc(VpcId=vpc)  # the gateway is attached
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    sg = group(ec2, vpc, "left-over")
    with refused("DependencyViolation", f"The vpc '{vpc}' has dependencies and cannot be deleted."):
        ec2.delete_vpc(VpcId=vpc)  # a group is left
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_vpc(VpcId=vpc)


def test_a_gateway_is_refused_while_a_public_instance_or_an_internet_facing_balancer_is_there(aws):
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    vpc, subnet, igw = public_network(ec2)
    machine = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, NetworkInterfaces=[{
        "DeviceIndex": 0, "SubnetId": subnet, "AssociatePublicIpAddress": True}])["Instances"][0]["InstanceId"]
    with refused("DependencyViolation", "mapped public address(es)"):
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.terminate_instances(InstanceIds=[machine])
    internal = elbv2.create_load_balancer(Name=f"int-{vpc[-6:]}", Subnets=[subnet], Type="network",
                                          Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
    public = elbv2.create_load_balancer(Name=f"ext-{vpc[-6:]}", Subnets=[subnet], Type="network",
                                        Scheme="internet-facing")["LoadBalancers"][0]["LoadBalancerArn"]
    with refused("DependencyViolation", "mapped public address(es)"):
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    elbv2.delete_load_balancer(LoadBalancerArn=public)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)  # an internal balancer maps no public address
    elbv2.delete_load_balancer(LoadBalancerArn=internal)


def test_an_interface_attached_after_launch_outlives_its_instance_and_holds_its_subnet(aws):
    ec2 = aws("ec2")
    vpc, subnet = network(ec2)
    machine = instance(ec2, subnet, [group(ec2, vpc, "nodes")])
    extra = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=extra, InstanceId=machine, DeviceIndex=1)
    ec2.terminate_instances(InstanceIds=[machine])
    with refused("DependencyViolation", f"The subnet '{subnet}' has dependencies"):
        ec2.delete_subnet(SubnetId=subnet)


@pytest.mark.parametrize("holds, message, release", [
    ("access key", "must delete access keys first",
     lambda iam, user, key: iam.delete_access_key(UserName=user, AccessKeyId=key)),
    ("login profile", "must delete login profile first",
     lambda iam, user, key: iam.delete_login_profile(UserName=user)),
    ("group", "must remove users from group first",
     lambda iam, user, key: iam.remove_user_from_group(UserName=user, GroupName=f"{user}-group")),
    ("inline policy", "must delete policies first",  # moto's own refusal, which the harness relies on
     lambda iam, user, key: iam.delete_user_policy(UserName=user, PolicyName="p")),
])
def test_a_user_with_credentials_policies_or_groups_is_refused_until_they_are_removed(aws, holds, message, release):
    iam, user = aws("iam"), f"cco-{holds.replace(' ', '-')}"
    iam.create_user(UserName=user)
    key = None
    if holds == "access key":
        key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    elif holds == "login profile":
        iam.create_login_profile(UserName=user, Password="Secret-123456")
    elif holds == "group":
        iam.create_group(GroupName=f"{user}-group")
        iam.add_user_to_group(UserName=user, GroupName=f"{user}-group")
    else:
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument='{"Version": "2012-10-17", "Statement": '
                            '[{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}')
    with refused("DeleteConflict", message):
        iam.delete_user(UserName=user)
    release(iam, user, key)
    iam.delete_user(UserName=user)


def test_a_role_in_an_instance_profile_is_refused_until_it_is_removed_from_it(aws):
    """moto's own refusal, which the harness relies on (strict.py leaves it to moto)."""
    iam = aws("iam")
    iam.create_role(RoleName="master", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="master-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="master-profile", RoleName="master")
    with refused("DeleteConflict", "Cannot delete entity"):
        iam.delete_role(RoleName="master")
    iam.remove_role_from_instance_profile(InstanceProfileName="master-profile", RoleName="master")
    iam.delete_role(RoleName="master")


def test_a_new_instance_profile_is_unknown_to_ec2_for_the_propagation_delay(aws, monkeypatch):
    import os

    from emulator import strict

    # The default, not $OCP_EMULATOR_PROFILE_DELAY: a test changes no environment variable (test_layout.py).
    assert "OCP_EMULATOR_PROFILE_DELAY" not in os.environ, "the variable would override the default"
    monkeypatch.setattr(strict, "PROFILE_DELAY_SECONDS", 1.5)
    ec2, iam = aws("ec2"), aws("iam")
    vpc, subnet = network(ec2)
    arn = iam.create_instance_profile(InstanceProfileName="worker-profile")["InstanceProfile"]["Arn"]
    workers = [group(ec2, vpc, "w")]
    with refused("InvalidParameterValue", "Invalid IAM Instance Profile name"):
        instance(ec2, subnet, workers, IamInstanceProfile={"Name": "worker-profile"})
    with refused("InvalidParameterValue", "Invalid IAM Instance Profile arn"):
        instance(ec2, subnet, workers, IamInstanceProfile={"Arn": arn})
    time.sleep(1.6)
    assert instance(ec2, subnet, workers, IamInstanceProfile={"Name": "worker-profile"})
    assert instance(ec2, subnet, workers, IamInstanceProfile={"Arn": arn})


# --------------------------------------------------------------------------- faults


@pytest.fixture
def faults():
    from emulator.patches import FAULTS

    FAULTS.reset(1.0)  # every first attempt
    yield FAULTS
    FAULTS.reset(0.0)


THROTTLED = [("ec2", "RequestLimitExceeded", lambda c: c.describe_vpcs()),
             ("iam", "Throttling", lambda c: c.list_users()),
             ("route53", "PriorRequestNotComplete", lambda c: c.list_hosted_zones()),
             ("s3", "SlowDown", lambda c: c.list_buckets()),
             ("dynamodb", "ThrottlingException", lambda c: c.list_tables()),
             ("kms", "ThrottlingException", lambda c: c.list_keys()),
             ("elbv2", "Throttling", lambda c: c.describe_load_balancers()),
             ("resourcegroupstaggingapi", "ThrottledException", lambda c: c.get_resources()),
             ("sts", "Throttling", lambda c: c.get_caller_identity())]


@pytest.mark.parametrize("service, code, call", THROTTLED, ids=[t[0] for t in THROTTLED])
def test_a_fault_is_the_services_own_error_and_a_retry_gets_through(aws, faults, service, code, call):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        call(aws(service, {"mode": "standard", "total_max_attempts": 1}))  # no retry: the fault itself
    assert caught.value.response["Error"]["Code"] == code
    call(aws(service))  # the retry of a faulted call is run
    signing = {"elbv2": "elasticloadbalancing", "resourcegroupstaggingapi": "tagging"}.get(service, service)
    assert faults.counts[signing] == {"injected": 2, "survived": 1}  # the first was never retried


def test_one_fault_in_four_is_a_server_error(aws, faults):
    from botocore.exceptions import ClientError

    codes = []
    for _ in range(4):
        try:
            aws("ec2", {"mode": "standard", "total_max_attempts": 1}).describe_vpcs()
        except ClientError as error:
            codes.append((error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]))
    assert codes == [("RequestLimitExceeded", 503)] * 3 + [("InternalError", 500)]


def test_the_first_windows_are_shorter_then_one_call_in_1_over_rate():
    from emulator.faults import window_of

    starts = sorted({window_of(seen, 33)[1:] for seen in range(100)})
    assert starts == [(0, 4), (4, 8), (12, 16), (28, 33), (61, 33), (94, 33)]
    assert {window_of(seen, 1) for seen in range(3)} == {(0, 0, 1), (1, 1, 1), (2, 2, 1)}


def test_the_place_of_a_fault_in_its_window_follows_the_seed(aws, faults):
    def faulted(seed: int) -> list[int]:
        from botocore.exceptions import ClientError

        faults.reset(0.25, seed)
        places = []
        for call in range(12):
            try:
                aws("iam", {"mode": "standard", "total_max_attempts": 1}).list_users()
            except ClientError:
                places.append(call)
        return places

    first = faulted(7)
    assert len(first) == 3 and all(window * 4 <= place < window * 4 + 4 for window, place in enumerate(first))
    assert faulted(7) == first
    assert any(faulted(seed) != first for seed in range(8, 12))


def test_every_sdk_client_of_the_project_retries_throttling_and_server_errors(emulator, faults):
    """cluster_resources.Aws is where the project makes its clients (teardown, drift, the guard,
    sts-manifests, machinesets): with every first attempt faulted, each call still succeeds."""
    from modules.operations.cluster_resources import Aws

    endpoints = {s: emulator for s in ("ec2", "elb", "elbv2", "iam", "route53", "s3", "sts", "dynamodb")}
    aws = Aws(parse_config(variant(aws_endpoints=endpoints)),
              {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    for _ in range(4):  # the fourth fault of each service is a 500
        aws("ec2").describe_vpcs()
        aws("elbv2").describe_load_balancers()
        aws("elb").describe_load_balancers()
        aws("iam").list_users()
        aws("route53").list_hosted_zones()
        aws("s3").list_buckets()
        aws("sts").get_caller_identity()
    assert {service: counts["survived"] for service, counts in faults.counts.items()} == {
        "ec2": 4, "elasticloadbalancing": 8, "iam": 4, "route53": 4, "s3": 4, "sts": 4}
    assert all(counts["injected"] == counts["survived"] for counts in faults.counts.values())


# --------------------------------------------------------------------------- edge zones (emulator/edge_zones.py)


def test_edge_zones_are_listed_with_their_type_group_and_parent_once_asked_for(aws):
    ec2 = aws("ec2")
    zones = lambda **kw: {z["ZoneName"]: z for z in ec2.describe_availability_zones(**kw)["AvailabilityZones"]}  # noqa: E731
    regular = zones()["us-east-1a"]
    assert (regular["ZoneType"], regular["OptInStatus"], regular["GroupName"]) == \
        ("availability-zone", "opt-in-not-required", "us-east-1")
    every = zones(AllAvailabilityZones=True)
    local, wavelength = every["us-east-1-nyc-1a"], every["us-east-1-wl1-bos-wlz-1"]
    assert (local["ZoneType"], local["GroupName"], local["ParentZoneName"]) == \
        ("local-zone", "us-east-1-nyc-1", "us-east-1f")
    assert (wavelength["ZoneType"], wavelength["GroupName"], wavelength["ParentZoneName"]) == \
        ("wavelength-zone", "us-east-1-wl1", "us-east-1a")
    assert {z["ZoneName"] for z in ec2.describe_availability_zones(
        AllAvailabilityZones=True, Filters=[{"Name": "zone-type", "Values": ["wavelength-zone"]}])[
        "AvailabilityZones"]} == {"us-east-1-wl1-bos-wlz-1"}


def test_an_edge_zone_takes_a_subnet_only_once_its_group_is_opted_in(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    assert "us-east-1-wl1-bos-wlz-1" not in {z["ZoneName"] for z in ec2.describe_availability_zones()[
        "AvailabilityZones"]}  # not opted in: hidden, as on AWS
    with refused("InvalidParameterValue", "Value (us-east-1-wl1-bos-wlz-1) for parameter availabilityZone"):
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.128.0/20", AvailabilityZone="us-east-1-wl1-bos-wlz-1")
    ec2.modify_availability_zone_group(GroupName="us-east-1-wl1", OptInStatus="opted-in")
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.128.0/20", AvailabilityZone="us-east-1-wl1-bos-wlz-1")
    assert subnet["Subnet"]["AvailabilityZone"] == "us-east-1-wl1-bos-wlz-1"
    machine = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="r5.2xlarge",
                                SubnetId=subnet["Subnet"]["SubnetId"],
                                Placement={"AvailabilityZone": "us-east-1-wl1-bos-wlz-1"})["Instances"][0]
    assert machine["Placement"]["AvailabilityZone"] == "us-east-1-wl1-bos-wlz-1"  # a type the zone offers
    ec2.terminate_instances(InstanceIds=[machine["InstanceId"]])
    gateway = ec2.create_carrier_gateway(VpcId=vpc)["CarrierGateway"]  # moto's own
    assert gateway["VpcId"] == vpc
    ec2.delete_subnet(SubnetId=subnet["Subnet"]["SubnetId"])
    with refused("DependencyViolation", f"The vpc '{vpc}' has dependencies and cannot be deleted."):
        ec2.delete_vpc(VpcId=vpc)  # the carrier gateway is in it (emulator/strict.py)
    ec2.delete_carrier_gateway(CarrierGatewayId=gateway["CarrierGatewayId"])
    ec2.delete_vpc(VpcId=vpc)


# --------------------------------------------------------------------------- moto fixes (emulator/patches.py)


def test_an_all_traffic_rule_takes_a_new_description_without_ports(aws):
    """What Terraform sends for an adopted default egress rule (e2e/kill.py's recovery, seen in a run)."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    sg = group(ec2, vpc, "adopted")
    [default] = [r for r in ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])[
        "SecurityGroupRules"] if r["IsEgress"]]
    ec2.modify_security_group_rules(GroupId=sg, SecurityGroupRules=[{
        "SecurityGroupRuleId": default["SecurityGroupRuleId"],
        "SecurityGroupRule": {"IpProtocol": "-1", "CidrIpv4": "0.0.0.0/0", "Description": "Allow all egress"}}])
    [after] = ec2.describe_security_group_rules(SecurityGroupRuleIds=[default["SecurityGroupRuleId"]])[
        "SecurityGroupRules"]
    assert (after["Description"], after["IpProtocol"], after["FromPort"], after["ToPort"]) == (
        "Allow all egress", "-1", default["FromPort"], default["ToPort"])


def test_new_groups_on_an_instances_primary_interface_are_the_instances_groups(aws):
    """How the provider changes a running instance's vpc_security_group_ids (the day 2 flow's LB group);
    the instance reading its old groups back made every later plan update it again."""
    ec2 = aws("ec2")
    vpc, subnet = network(ec2)
    nodes, lb = group(ec2, vpc, "nodes"), group(ec2, vpc, "lb")
    machine = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, NetworkInterfaces=[{
        "DeviceIndex": 0, "SubnetId": subnet, "Groups": [nodes], "AssociatePublicIpAddress": False}])["Instances"][0]
    primary = machine["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=primary, Groups=[nodes, lb])
    [described] = ec2.describe_instances(InstanceIds=[machine["InstanceId"]])["Reservations"][0]["Instances"]
    assert sorted(g["GroupId"] for g in described["SecurityGroups"]) == sorted([nodes, lb])
