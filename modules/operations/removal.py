"""Deleting what a running cluster created (cluster_resources.py finds it), in an order AWS accepts.

`ORDER` puts what uses a thing before it: instances and load balancers hold network
interfaces in the subnets and name the groups, rules name other groups. AWS is still
eventually consistent after a deletion (a load balancer's interfaces outlive it for a
while), so a deletion AWS refuses because something still uses the resource
(`IN_USE`) is tried again for a bounded time, and then fails naming the resource.
Throttling and 5xx are the SDK's to retry (cluster_resources.SDK_RETRIES). Every step
is safe to run again: what is gone is not found the next time.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable, Sequence

from .cluster_resources import Aws, AwsError, Found, pages

# The error codes of a deletion refused because something still uses the resource.
IN_USE = ("DependencyViolation", "ResourceInUse", "InvalidGroup.InUse", "DeleteConflict")
IN_USE_SECONDS = 300  # how long a deletion is tried again while AWS says the resource is in use
IN_USE_INTERVAL = 5


class StillInUse(AwsError):
    """AWS kept refusing a deletion because something still uses the resource."""


def remove(aws: Aws, found: Sequence[Found], *, log: Callable[[str], None] = print,
           seconds: float = IN_USE_SECONDS, interval: float = IN_USE_INTERVAL) -> None:
    """Delete `found` (in its order), waiting where AWS finishes a deletion later."""
    ec2 = aws("ec2")
    instances = [f.id for f in found if f.kind == "instance"]
    if instances:
        log(f"terminating {len(instances)} instance(s): {', '.join(instances)}")
        ec2.terminate_instances(InstanceIds=instances)
        ec2.get_waiter("instance_terminated").wait(InstanceIds=instances, WaiterConfig={"Delay": 5, "MaxAttempts": 120})
    for item in found:
        if item.kind != "instance":
            log(f"deleting {item}")
            retry_in_use(item, lambda: delete(aws, item), log=log, seconds=seconds, interval=interval)


def retry_in_use(item: Found, action: Callable[[], Any], *, log: Callable[[str], None] = print,
                 seconds: float = IN_USE_SECONDS, interval: float = IN_USE_INTERVAL) -> None:
    """Run `action` (the deletion of `item`) until AWS stops refusing it as in use, for `seconds` at most."""
    from botocore.exceptions import ClientError

    deadline, told = time.monotonic() + seconds, False
    while True:
        try:
            action()
            return
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in IN_USE:
                raise
            message = error.response.get("Error", {}).get("Message", "")
            if time.monotonic() > deadline:
                raise StillInUse(f"{item}: AWS still refuses its deletion after {seconds:.0f} s, something uses it "
                                 f"({code}: {message}); remove what holds it, then run the same command again "
                                 "(the step is safe to run again)") from error
            if not told:
                log(f"{item}: in use ({code}: {message}); trying again for up to {seconds:.0f} s")
                told = True
            time.sleep(interval)


def delete(aws: Aws, item: Found) -> None:
    """One deletion (instances are terminated together, in `remove`)."""
    ec2 = aws("ec2")
    if item.kind == "load balancer":
        aws("elbv2").delete_load_balancer(LoadBalancerArn=item.id)
        aws("elbv2").get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[item.id])
    elif item.kind == "classic load balancer":
        aws("elb").delete_load_balancer(LoadBalancerName=item.id)
    elif item.kind == "target group":
        aws("elbv2").delete_target_group(TargetGroupArn=item.id)
    elif item.kind == "network interface":
        ec2.delete_network_interface(NetworkInterfaceId=item.id)
    elif item.kind == "security group rule":
        revoke = (ec2.revoke_security_group_egress if item.get("direction") == "egress"
                  else ec2.revoke_security_group_ingress)
        revoke(GroupId=item.get("group"), SecurityGroupRuleIds=[item.id])
    elif item.kind == "security group":
        ec2.delete_security_group(GroupId=item.id)
    elif item.kind == "record":
        aws.zone(item.get("zone")).change_resource_record_sets(HostedZoneId=item.get("zone"), ChangeBatch={"Changes": [
            {"Action": "DELETE", "ResourceRecordSet": json.loads(item.get("set"))}]})
    elif item.kind == "IAM user":
        _remove_user(aws("iam"), item.id)
    elif item.kind == "bucket":
        _empty_bucket(aws("s3"), item.id)
        aws("s3").delete_bucket(Bucket=item.id)
    elif item.kind == "volume":
        ec2.get_waiter("volume_available").wait(VolumeIds=[item.id])
        ec2.delete_volume(VolumeId=item.id)
    elif item.kind == "snapshot":
        ec2.delete_snapshot(SnapshotId=item.id)
    else:
        raise ValueError(f"no deletion for {item.kind}")


def _remove_user(iam: Any, name: str) -> None:
    """A user goes only without keys, credentials, policies and groups (AWS: DeleteConflict)."""
    from botocore.exceptions import ClientError

    for key in pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name):
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    try:
        iam.delete_login_profile(UserName=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
    for certificate in pages(iam, "list_signing_certificates", "Certificates", UserName=name):
        iam.delete_signing_certificate(UserName=name, CertificateId=certificate["CertificateId"])
    for ssh_key in pages(iam, "list_ssh_public_keys", "SSHPublicKeys", UserName=name):
        iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=ssh_key["SSHPublicKeyId"])
    for device in pages(iam, "list_mfa_devices", "MFADevices", UserName=name):
        iam.deactivate_mfa_device(UserName=name, SerialNumber=device["SerialNumber"])
    for group in pages(iam, "list_groups_for_user", "Groups", UserName=name):
        iam.remove_user_from_group(UserName=name, GroupName=group["GroupName"])
    for policy in pages(iam, "list_user_policies", "PolicyNames", UserName=name):
        iam.delete_user_policy(UserName=name, PolicyName=policy)
    for policy in pages(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name):
        iam.detach_user_policy(UserName=name, PolicyArn=policy["PolicyArn"])
    iam.delete_user(UserName=name)


def _empty_bucket(s3: Any, name: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                  for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
