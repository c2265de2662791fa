"""What the three machine tiers share: a keyed pool of instances, and target-group registration.

Instances are one `aws_instance.<role>` resource with `for_each` over machine
keys ("0", "1", ...), so growing a pool adds instances and touches none of the
others. Machine i goes to the subnet of AZ i mod <AZ count>. Registrations
replace the reference templates' Lambda: one `aws_lb_target_group_attachment`
per (machine, target group), keyed "<machine>/<target group>".
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from cdktf_cdktf_provider_aws.instance import Instance, InstanceMetadataOptions, InstanceRootBlockDevice
from cdktf_cdktf_provider_aws.lb_target_group_attachment import LbTargetGroupAttachment

from ..configuration.machines import MachinePool
from .cdk import Construct, Precondition, TerraformResourceLifecycle, Token
from .hcl import Expr, Flag, address, interpolate, new, rows_where
from .waivers import waive

# The boot image and the Ignition pointer only matter at first boot: RHCOS then updates itself
# through the machine-config operator. A new `rhcos_ami`, CA or config URL must not replace or
# restart running machines (replacing every master at once loses etcd); machines created later
# get the new values. Rolling a machine onto them is a deliberate `terraform apply -replace`.
FIRST_BOOT_ONLY = TerraformResourceLifecycle(ignore_changes=["ami", "user_data"])

# Static-check findings (checkov) every machine made here accepts, and why.
WAIVERS = {
    "CKV_AWS_135": "The instance types offered are EBS-optimized by default; forcing the flag fails on types that "
                   "cannot be.",
    "CKV_AWS_126": "1-minute CloudWatch monitoring costs extra; the cluster monitors itself (Prometheus).",
}


def spread(count: int | Expr, zones: int | Expr) -> dict[str, dict[str, int]] | Expr:
    """Machine key -> the index of its AZ's subnet, round-robin over the AZs (HCL in a module)."""
    if isinstance(count, int) and isinstance(zones, int):
        return {str(i): {"subnet_index": i % zones} for i in range(count)}
    return Expr(f"{{ for i in range({count}) : tostring(i) => {{ subnet_index = i % {zones} }} }}")


def machine_keys(count: int | Expr) -> list[str] | Expr:
    return [str(i) for i in range(count)] if isinstance(count, int) else Expr(f"[for i in range({count}) : tostring(i)]")


def hcl_list(values: Sequence[str] | Expr) -> str:
    return values if isinstance(values, Expr) else json.dumps(list(values))


@dataclass(frozen=True)
class OptionalGroup:
    """A group some machines carry only where `condition` holds (the cloud provider's `-lb` group,
    configuration/releases.py): `group` is an HCL expression that may be null. `required`: a null
    group where the condition holds is refused (a module's input); else it is left out (a stack
    reading an upstream output that a reviewed upgrade has not applied yet: the plan then changes
    once it has, and `apply --reviewed` asks for a new review)."""

    condition: Flag
    group: Expr
    required: bool


def security_groups_of(pool: MachinePool, own: Sequence[str], optional: OptionalGroup | None = None) -> list[str] | Any:
    """The pool's groups: the cluster's `own`, then the `optional` one where it applies, then the pool's
    additional ones (a module's variable)."""
    extra = pool.additional_security_group_ids
    if not isinstance(extra, Expr) and optional is None:
        return [*own, *extra]
    # Inside an expression a token renders bare, and a hand-written "${x}" is x. (Fn.concat would
    # escape the hand-written ones into literal text.)
    items = [group[2:-1] if group.startswith("${") and "TfToken" not in group else group for group in own]
    parts = [f"[{', '.join(items)}]"]
    if optional is not None:
        # compact(): a null group is left out here (and refused by a precondition where it is required).
        present = f"compact([{optional.group}])"
        parts.append(present if optional.condition is True else f"{optional.condition} ? {present} : []")
    if isinstance(extra, Expr) or extra:
        parts.append(extra if isinstance(extra, Expr) else json.dumps(list(extra)))
    return Token.as_list(f"${{concat({', '.join(parts)})}}")


def _lifecycle(optional: OptionalGroup | None) -> TerraformResourceLifecycle:
    if optional is None or not optional.required:
        return FIRST_BOOT_ONLY
    return TerraformResourceLifecycle(ignore_changes=FIRST_BOOT_ONLY.ignore_changes, precondition=[Precondition(
        condition=f"${{!({optional.condition}) || {optional.group} != null}}",
        error_message=f"{optional.group.removeprefix('var.')} is null, but this OpenShift release puts every master "
                      "and worker in the cloud provider's <infra_id>-lb group: pass the security module's "
                      "lb_security_group_id output.")])


def machine_pool(scope: Construct, role: str, *, infra_id: str, machines: Mapping[str, Mapping[str, int]] | Expr,
                 subnet_ids: str, ami: str, pool: MachinePool, instance_profile: str,
                 security_group_ids: Sequence[str], user_data: str, public_ip: Flag = False,
                 name: str | None = None, depends_on: Sequence[Any] = (),
                 optional_group: OptionalGroup | None = None) -> Instance:
    """`aws_instance.<role>`, one instance per key of `machines`.

    `subnet_ids` is an HCL expression for the subnet list the `subnet_index` of a
    machine points into. `name` is the Name tag pattern (default `<infra_id>-<role>-<key>`).
    `security_group_ids` are the cluster's groups; the pool's additional ones follow them.
    """
    rows = rows_where(scope, f"{role}_machines", True, machines)
    key = pool.root_volume_kms_key_arn
    instances = new(
        Instance, scope, role, for_each=rows, ami=ami, instance_type=pool.instance_type,
        iam_instance_profile=instance_profile,
        subnet_id=Token.as_string(f"${{{subnet_ids}[each.value.subnet_index]}}"),
        vpc_security_group_ids=security_groups_of(pool, security_group_ids, optional_group),
        associate_public_ip_address=Token.as_any(f"${{{public_ip}}}") if isinstance(public_ip, Expr) else public_ip,
        user_data=user_data,
        root_block_device=InstanceRootBlockDevice(volume_size=pool.root_volume_size,
                                                  volume_type=pool.root_volume_type, encrypted=True,
                                                  kms_key_id=None if key is None else interpolate(key)),
        # RHCOS and Ignition speak IMDSv2; refusing v1 closes the SSRF route to the role's credentials.
        metadata_options=InstanceMetadataOptions(http_endpoint="enabled", http_tokens="required"),
        tags={"Name": name or f"{infra_id}-{role}-${{each.key}}", f"kubernetes.io/cluster/{infra_id}": "shared"},
        depends_on=list(depends_on) or None,
        lifecycle=_lifecycle(optional_group))
    for check_id, reason in WAIVERS.items():
        waive(instances, check_id, reason)
    return instances


def register_targets(scope: Construct, role: str, instances: Instance, machines: Sequence[str] | Expr,
                     target_groups: Sequence[str] | Expr, arns: str) -> None:
    """Register each machine's private IP in each named target group; `arns` addresses the name -> ARN map."""
    if isinstance(machines, Expr) or isinstance(target_groups, Expr):
        rows: Any = Expr(f"{{ for pair in setproduct({hcl_list(machines)}, {hcl_list(target_groups)}) : "
                         '"${pair[0]}/${pair[1]}" => { machine = pair[0], target_group = pair[1] } }')
    elif not machines or not target_groups:
        return
    else:
        rows = {f"{machine}/{group}": {"machine": machine, "target_group": group}
                for machine in machines for group in target_groups}
    rows = rows_where(scope, f"{role}_targets", True, rows)
    new(LbTargetGroupAttachment, scope, f"attachment.{role}", for_each=rows,
        target_group_arn=Token.as_string(f"${{{arns}[each.value.target_group]}}"),
        target_id=Token.as_string(f"${{{address(instances)}[each.value.machine].private_ip}}"))


def instance_outputs(instances: Instance, role: str, keys: Sequence[str] | Expr) -> dict[str, tuple[str, str]]:
    return {
        f"{role}_instance_ids": (Token.as_string(
            f"${{ {{ for key, machine in {address(instances)} : key => machine.id }} }}"),
            f"EC2 instance ID of each {role} machine, by machine key."),
        f"{role}_private_ips": (Token.as_string(
            f"${{[for key in {hcl_list(keys)} : {address(instances)}[key].private_ip]}}"),
            f"Private IP of each {role} machine, in machine order."),
    }
