"""Masters and workers: the machine pools of the control-plane and compute tiers."""
from __future__ import annotations

from cdktf_cdktf_provider_aws.instance import Instance

from ..configuration.ignition import pointer_config
from ..configuration.machines import MachinePool
from ..configuration.releases import lb_group_name
from ..configuration.topology import Tier
from ..constructs.cdk import Token
from ..constructs.hcl import Expr
from ..constructs.machines import OptionalGroup, instance_outputs, machine_keys, machine_pool, spread
from .base import TierStack, release_setting


def cluster_nodes(stack: TierStack, role: str, count: int | Expr, pool: MachinePool, ignition_url: str) -> Instance:
    """`count` machines of `role` in the private subnets, round-robin over the AZs, with the role's group
    and profile from the security tier, merging their config from `ignition_url`; and their outputs."""
    inputs = stack.inputs
    # The role's group, and from OpenShift 4.16 the cloud provider's `<infra_id>-lb` on masters and workers
    # alike (configuration/releases.py).
    groups, optional = [f"${{{stack.upstream(Tier.SECURITY, f'{role}_security_group_id')}}}"], None
    has_lb, lb = release_setting(stack, inputs, "lb_group"), stack.upstream(Tier.SECURITY, "lb_security_group_id")
    if isinstance(has_lb, Expr):  # a module: the caller passes the security module's output
        optional = OptionalGroup(has_lb, lb, required=True)
    elif has_lb:  # a stack: the output exists once the security tier is applied for the release
        optional = OptionalGroup(True, Expr(f"try({lb}, null)"), required=False)
        # Until then the plan says so (a warning, and a note in the review), rather than failing it.
        stack.add_override(f"check.{role}_lb_group", {"assert": [{
            "condition": f"${{{optional.group} != null}}",
            "error_message": f"The security tier is not applied for OpenShift {inputs.openshift_version} yet (it has "
                             f"no lb_security_group_id): the {role}s plan without the cloud provider's "
                             f"{lb_group_name(inputs.infra_id)} group. Apply the security tier first "
                             "(`main.py apply` does), then plan this tier again."}]})
    nodes = machine_pool(
        stack, role, infra_id=inputs.infra_id, machines=spread(count, inputs.zone_count),
        subnet_ids=stack.upstream(Tier.NETWORK, "private_subnet_ids"), ami=inputs.rhcos_ami, pool=pool,
        instance_profile=Token.as_string(f"${{{stack.upstream(Tier.SECURITY, f'{role}_instance_profile_name')}}}"),
        security_group_ids=groups, optional_group=optional,
        user_data=pointer_config(ignition_url, ca=inputs.ignition_ca))
    stack.outputs(instance_outputs(nodes, role, machine_keys(count)))
    return nodes
