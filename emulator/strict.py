"""Where moto deletes what AWS refuses to delete, or accepts what AWS does not yet know: made strict.

moto lets a teardown in any order succeed (../shared/EMULATOR-NOTES.md, "Deleting
things that are in use"), so on it a wrong order would only show on a customer's
account. Each patch here raises the error AWS raises, with AWS's code and message,
and only while the dependency is there: a terminated instance, a deleted NAT
gateway or load balancer holds nothing. `tests/test_emulator.py` shows each
refusal, and the success once the dependency is gone.

What moto already refuses as AWS does is left to moto: a VPC with subnets,
deleting an internet gateway that is still attached, a role in an instance
profile or with policies, an IAM user with policies.
"""
from __future__ import annotations

import os
from typing import Any, Iterator

# How long a new instance profile stays unknown to EC2 (AWS: "a few seconds", eventual
# consistency between IAM and EC2). OCP_EMULATOR_PROFILE_DELAY overrides it; 0 turns it off.
PROFILE_DELAY_SECONDS = 5.0


def apply_strict_patches() -> None:
    _security_groups_in_use()
    _subnets_in_use()
    _vpcs_with_gateways_or_groups()
    _gateways_with_mapped_addresses()
    _users_with_credentials()
    _instance_profiles_propagate()


# --------------------------------------------------------------------------- what holds what


def _live_interfaces(ec2: Any) -> Iterator[Any]:
    """The network interfaces that exist on AWS: moto keeps a terminated instance's primary
    interface and a deleted NAT gateway's, which AWS deletes with them."""
    gone = {id(nat._eni) for nat in ec2.nat_gateways.values() if nat.state == "deleted"}
    for eni in list(ec2.enis.values()):
        # A launch's primary interface goes with its instance; one attached later stays, detached.
        if eni.instance is not None and eni.instance.state == "terminated" and eni.device_index in (0, None):
            continue
        if id(eni) not in gone:
            yield eni


def _balancers(ec2: Any) -> Iterator[tuple[str, list[str], list[str], str]]:
    """Every load balancer of the EC2 backend's account and region: (name, group IDs, subnet IDs,
    scheme). moto gives load balancers no network interfaces; on AWS their interfaces hold the
    subnets, the groups and, when internet-facing, public addresses."""
    from moto.elb.models import elb_backends
    from moto.elbv2.models import elbv2_backends

    for lb in elb_backends[ec2.account_id][ec2.region_name].load_balancers.values():
        yield lb.name, list(lb.security_groups), list(lb.subnets), lb.scheme
    for lb in elbv2_backends[ec2.account_id][ec2.region_name].load_balancers.values():
        subnets = [getattr(s, "id", s) for s in lb.subnets]
        yield lb.name, list(lb.security_groups or []), subnets, lb.scheme


def _vpc_of_subnet(ec2: Any, subnet_id: str) -> str | None:
    try:
        return ec2.get_subnet(subnet_id).vpc_id
    except Exception:  # a subnet already gone holds nothing
        return None


# --------------------------------------------------------------------------- EC2


def _security_groups_in_use() -> None:
    """DeleteSecurityGroup: `DependencyViolation: resource sg-... has a dependent object` while a
    network interface (an instance's, a load balancer's) is in the group, or another group's rule
    names it. A group's rules on itself go with it."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models import EC2Backend

    original = EC2Backend.delete_security_group

    def delete_security_group(self, name=None, group_id=None):
        group = self.get_security_group_by_name_or_id(group_id or name)
        if group is not None and _group_dependents(self, group.id):
            raise DependencyViolationError(f"resource {group.id} has a dependent object")
        return original(self, name=name, group_id=group_id)

    EC2Backend.delete_security_group = delete_security_group


def _group_dependents(ec2: Any, group_id: str) -> list[str]:
    held = [eni.id for eni in _live_interfaces(ec2) if group_id in {g.id for g in eni.group_set}]
    held += [name for name, groups, _, _ in _balancers(ec2) if group_id in groups]
    for groups in ec2.groups.values():
        for other in list(groups.values()):
            if other.id == group_id:
                continue
            for rule in other.ingress_rules + other.egress_rules:
                if (rule.source_group or {}).get("GroupId") == group_id:
                    held.append(f"a rule of {other.id}")
    return held


def _subnets_in_use() -> None:
    """DeleteSubnet: `DependencyViolation: The subnet '...' has dependencies and cannot be deleted.`
    while a network interface (an instance, a NAT gateway, a load balancer) is in it."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models import EC2Backend

    original = EC2Backend.delete_subnet

    def delete_subnet(self, subnet_id):
        held = any(eni.subnet is not None and eni.subnet.id == subnet_id for eni in _live_interfaces(self))
        if held or any(subnet_id in subnets for _, _, subnets, _ in _balancers(self)):
            raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return original(self, subnet_id)

    EC2Backend.delete_subnet = delete_subnet


def _vpcs_with_gateways_or_groups() -> None:
    """DeleteVpc: `DependencyViolation: The vpc '...' has dependencies and cannot be deleted.` while an
    internet gateway is attached, a carrier gateway (edge zones) or a security group other than the
    default one is left (moto refuses only for subnets and route tables)."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models import EC2Backend

    original = EC2Backend.delete_vpc

    def delete_vpc(self, vpc_id):
        attached = any(igw.vpc is not None and igw.vpc.id == vpc_id for igw in self.internet_gateways.values()) \
            or any(gateway.vpc_id == vpc_id for gateway in self.carrier_gateways.values())
        groups = [g for g in self.groups.get(vpc_id, {}).values() if g.name != "default"]
        if attached or groups:
            raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return original(self, vpc_id)

    EC2Backend.delete_vpc = delete_vpc


def _gateways_with_mapped_addresses() -> None:
    """DetachInternetGateway: `DependencyViolation: Network vpc-... has some mapped public
    address(es). Please unmap those public address(es) before detaching the gateway.` while an
    elastic IP (a NAT gateway's) or an instance's public IP is mapped in the VPC, or an
    internet-facing load balancer is in it."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models import EC2Backend

    original = EC2Backend.detach_internet_gateway

    def detach_internet_gateway(self, internet_gateway_id, vpc_id):
        live = [eni for eni in _live_interfaces(self) if eni.subnet is not None and eni.subnet.vpc_id == vpc_id]
        mapped = any(eni.public_ip for eni in live)
        mapped = mapped or any(address.eni in live for address in self.addresses if address.eni is not None)
        mapped = mapped or any(scheme == "internet-facing" and any(_vpc_of_subnet(self, s) == vpc_id for s in subnets)
                               for _, _, subnets, scheme in _balancers(self))
        if mapped:
            raise DependencyViolationError(
                f"Network {vpc_id} has some mapped public address(es). Please unmap those public "
                "address(es) before detaching the gateway.")
        return original(self, internet_gateway_id, vpc_id)

    EC2Backend.detach_internet_gateway = detach_internet_gateway


# --------------------------------------------------------------------------- IAM


def _users_with_credentials() -> None:
    """DeleteUser: `DeleteConflict: Cannot delete entity, must delete access keys first.` (and the
    same for a login profile, group memberships), as AWS refuses; moto refuses only policies."""
    from moto.iam.exceptions import DeleteConflictException
    from moto.iam.models import IAMBackend

    original = IAMBackend.delete_user

    def delete_user(self, user_name):
        user = self.get_user(user_name)
        if user.access_keys:
            raise DeleteConflictException("Cannot delete entity, must delete access keys first.")
        if getattr(user, "password", None) is not None:
            raise DeleteConflictException("Cannot delete entity, must delete login profile first.")
        if any(user in group.users for group in self.groups.values()):
            raise DeleteConflictException("Cannot delete entity, must remove users from group first.")
        return original(self, user_name)

    IAMBackend.delete_user = delete_user


def _instance_profiles_propagate() -> None:
    """RunInstances: `InvalidParameterValue: Value (...) for parameter iamInstanceProfile.name is
    invalid. Invalid IAM Instance Profile name` for a few seconds after the profile was created:
    IAM and EC2 are apart, and EC2 learns of a new profile later. Terraform's provider retries it."""
    from moto.core.utils import utcnow
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models import EC2Backend
    from moto.iam.models import iam_backends

    original = EC2Backend.run_instances

    def run_instances(self, image_id, count, user_data, security_group_names, **kwargs):
        delay = float(os.environ.get("OCP_EMULATOR_PROFILE_DELAY", PROFILE_DELAY_SECONDS))
        name, arn = kwargs.get("iam_instance_profile_name"), kwargs.get("iam_instance_profile_arn")
        if delay > 0 and (name or arn):
            iam = iam_backends[self.account_id][self.partition]
            profile = iam.get_instance_profile_by_arn(arn) if arn else iam.get_instance_profile(name)
            if (utcnow() - profile.create_date).total_seconds() < delay:
                which = "arn" if arn else "name"
                raise EC2ClientError("InvalidParameterValue", f"Value ({arn or name}) for parameter "
                                     f"iamInstanceProfile.{which} is invalid. Invalid IAM Instance Profile {which}")
        return original(self, image_id, count, user_data, security_group_names, **kwargs)

    EC2Backend.run_instances = run_instances
