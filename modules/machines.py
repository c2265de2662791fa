"""What the three machine tiers share: a keyed pool of instances, and target-group registration.

Instances are one `aws_instance.<role>` resource with `for_each` over machine
keys ("0", "1", ...), so growing a pool adds instances and touches none of the
others. Machine i goes to the subnet of AZ i mod <AZ count>. Registrations
replace the reference templates' Lambda: one `aws_lb_target_group_attachment`
per (machine, target group), keyed "<machine>/<target group>".
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from cdktf_cdktf_provider_aws.instance import Instance, InstanceMetadataOptions, InstanceRootBlockDevice
from cdktf_cdktf_provider_aws.lb_target_group_attachment import LbTargetGroupAttachment

from .cdk import Construct, TerraformIterator, Token
from .ignition import pointer_config
from .machine_config import MachinePool
from .tier import Tier, TierStack, address, new


def spread(count: int, zones: int) -> dict[str, dict[str, int]]:
    """Machine key -> the index of its AZ's subnet, round-robin over the AZs."""
    return {str(i): {"subnet_index": i % zones} for i in range(count)}


def machine_pool(scope: Construct, role: str, *, infra_id: str, machines: Mapping[str, Mapping[str, int]],
                 subnet_ids: str, ami: str, pool: MachinePool, instance_profile: str,
                 security_group_ids: Sequence[str], user_data: str, public_ip: bool = False,
                 name: str | None = None, depends_on: Sequence[Any] = ()) -> Instance:
    """`aws_instance.<role>`, one instance per key of `machines`.

    `subnet_ids` is an HCL expression for the subnet list the `subnet_index` of a
    machine points into. `name` is the Name tag pattern (default `<infra_id>-<role>-<key>`).
    """
    rows = TerraformIterator.from_map({key: dict(row) for key, row in machines.items()})
    return new(
        Instance, scope, role, for_each=rows, ami=ami, instance_type=pool.instance_type,
        iam_instance_profile=instance_profile,
        subnet_id=Token.as_string(f"${{{subnet_ids}[each.value.subnet_index]}}"),
        vpc_security_group_ids=list(security_group_ids), associate_public_ip_address=public_ip,
        user_data=user_data,
        root_block_device=InstanceRootBlockDevice(volume_size=pool.root_volume_size,
                                                  volume_type=pool.root_volume_type, encrypted=True),
        # RHCOS and Ignition speak IMDSv2; refusing v1 closes the SSRF route to the role's credentials.
        metadata_options=InstanceMetadataOptions(http_endpoint="enabled", http_tokens="required"),
        tags={"Name": name or f"{infra_id}-{role}-${{each.key}}", f"kubernetes.io/cluster/{infra_id}": "shared"},
        depends_on=list(depends_on) or None)


def register_targets(scope: Construct, role: str, instances: Instance, machine_keys: Sequence[str],
                     target_groups: Sequence[str], arns: str) -> None:
    """Register each machine's private IP in each named target group; `arns` addresses the name -> ARN map."""
    if not machine_keys or not target_groups:
        return
    rows = TerraformIterator.from_map({
        f"{machine}/{group}": {"machine": machine, "target_group": group}
        for machine in machine_keys for group in target_groups})
    new(LbTargetGroupAttachment, scope, f"attachment.{role}", for_each=rows,
        target_group_arn=Token.as_string(f"${{{arns}[each.value.target_group]}}"),
        target_id=Token.as_string(f"${{{address(instances)}[each.value.machine].private_ip}}"))


def cluster_nodes(stack: TierStack, role: str, count: int, pool: MachinePool, ignition_url: str) -> Instance:
    """Masters or workers: `count` machines in the private subnets with the role's group and
    profile from the security tier, merging their config from `ignition_url`."""
    config = stack.config
    nodes = machine_pool(
        stack, role, infra_id=config.infra_id, machines=spread(count, len(config.availability_zones)),
        subnet_ids=stack.remote_output(Tier.NETWORK, "private_subnet_ids"), ami=config.rhcos_ami, pool=pool,
        instance_profile=Token.as_string(f"${{{stack.remote_output(Tier.SECURITY, f'{role}_instance_profile_name')}}}"),
        security_group_ids=[f"${{{stack.remote_output(Tier.SECURITY, f'{role}_security_group_id')}}}"],
        user_data=pointer_config(ignition_url, ca=config.ignition_ca))
    stack.outputs(instance_outputs(nodes, role, [str(i) for i in range(count)]))
    return nodes


def instance_outputs(instances: Instance, role: str, machine_keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    ordered = ", ".join(f'"{key}"' for key in machine_keys)
    return {
        f"{role}_instance_ids": (Token.as_string(
            f"${{ {{ for key, machine in {address(instances)} : key => machine.id }} }}"),
            f"EC2 instance ID of each {role} machine, by machine key."),
        f"{role}_private_ips": (Token.as_string(
            f"${{[for key in [{ordered}] : {address(instances)}[key].private_ip]}}"),
            f"Private IP of each {role} machine, in machine order."),
    }
