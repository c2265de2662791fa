"""The tier vocabulary: which tiers exist, what each builds on, how their stacks are named.

Everything here is plain data, free of cdktf and the AWS bindings, so tooling
(deploy, plan review, export, main.py, the tests) can reason about tiers and
stacks without paying for the bindings, and never rebuilds a name from strings.

A cluster's stack for a tier is named `<cluster_name>-<tier>`; which stacks
belong to a cluster is decided by comparing exact names (`stacks_of`), never by
prefix: `prod` and `prod-eu` are two clusters, not one.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Mapping


class Tier(str, Enum):
    """The infrastructure tiers, in the order they are applied (SPEC 3.1)."""

    STATE = "state"
    NETWORK = "network"
    CLUSTER_INFRA = "cluster-infra"
    SECURITY = "security"
    CREDENTIALS = "credentials"  # only when the configuration has a `credentials` block (STS)
    BOOTSTRAP = "bootstrap"
    CONTROL_PLANE = "control-plane"
    COMPUTE = "compute"
    INGRESS = "ingress"  # only with an `ingress` block: `*.apps` records, applied once the router's LB exists

    @property
    def module_name(self) -> str:
        """The tier's exported module (and source file) name: `cluster_infra`."""
        return self.value.replace("-", "_")


# Tier -> the tiers whose outputs it reads (and which must be applied before it).
DEPENDENCIES: Mapping[Tier, tuple[Tier, ...]] = {
    Tier.STATE: (),
    Tier.NETWORK: (Tier.STATE,),
    Tier.CLUSTER_INFRA: (Tier.NETWORK,),
    Tier.SECURITY: (Tier.NETWORK,),
    Tier.CREDENTIALS: (Tier.STATE,),
    Tier.BOOTSTRAP: (Tier.NETWORK, Tier.SECURITY, Tier.CLUSTER_INFRA),
    Tier.CONTROL_PLANE: (Tier.NETWORK, Tier.SECURITY, Tier.CLUSTER_INFRA),
    Tier.COMPUTE: (Tier.NETWORK, Tier.SECURITY),
    Tier.INGRESS: (Tier.CLUSTER_INFRA,),
}

# The machine pool of each machine tier: its machines are `aws_instance.<pool>["<key>"]`, registered
# as `aws_lb_target_group_attachment.<pool>["<key>/<target group>"]`.
MACHINE_POOLS: Mapping[Tier, str] = {Tier.BOOTSTRAP: "bootstrap", Tier.CONTROL_PLANE: "master",
                                     Tier.COMPUTE: "worker"}

# Tiers whose destroy needs what the running cluster created in them removed first
# (its load balancers, groups and records): operations/teardown.py.
CLEANED_TIERS = (Tier.CLUSTER_INFRA, Tier.SECURITY, Tier.NETWORK)

# Where a synthesized stack's Terraform JSON is, inside its folder `stacks/<stack name>/`.
STACK_FILE = "cdk.tf.json"
# Beside it, the `import` blocks `main.py unlock` writes for what a killed run left (operations/recovery.py).
IMPORTS_FILE = "ocp-recovered-imports.tf.json"
# Key, inside a resource's `//` comment block of the synthesized JSON, of the checkov
# findings the construct accepts: {check ID: reason}. Terraform ignores `//` keys.
WAIVERS_KEY = "checkov_waivers"


# Outputs whose name is also a configuration variable's (cluster-infra's `private_zone_id` input is a
# zone to use, its output the zone in use): the variable that carries the output into another module.
UPSTREAM_VARIABLES = {"private_zone_id": "cluster_private_zone_id"}


class UnknownTier(ValueError):
    pass


def tier_named(name: str) -> Tier:
    """The tier called `name`; `UnknownTier` names the ones that exist."""
    try:
        return Tier(name)
    except ValueError:
        raise UnknownTier(f"unknown tier {name!r}; the tiers are {', '.join(t.value for t in Tier)}") from None


def stack_name(cluster_name: str, tier: Tier) -> str:
    return f"{cluster_name}-{tier.value}"


def stacks_of(cluster_name: str, stack_names: Iterable[str]) -> dict[str, Tier]:
    """The stacks among `stack_names` that are `cluster_name`'s, by exact name -> their tier."""
    names = set(stack_names)
    return {stack_name(cluster_name, tier): tier for tier in Tier if stack_name(cluster_name, tier) in names}


# --------------------------------------------------------------------------- API load balancing


@dataclass(frozen=True)
class ApiTarget:
    """A listener and its target group: one row of the load-balancing table."""

    load_balancer: str  # "external" or "internal"
    port: int
    health_check_path: str
    name_suffix: str  # target group name: <infra_id>-<suffix>, as the installer's Terraform named them
    external: bool = False


# Health checks, thresholds and deregistration delay follow 02_cluster_infra.yaml;
# the machine tiers register their machines in these groups.
API_TARGETS: Mapping[str, ApiTarget] = {
    "external_api": ApiTarget("external", 6443, "/readyz", "aext", external=True),
    "internal_api": ApiTarget("internal", 6443, "/readyz", "aint"),
    "internal_service": ApiTarget("internal", 22623, "/healthz", "sint"),
}


def api_targets(external: bool) -> dict[str, ApiTarget]:
    """The listeners and target groups a cluster has: without the external one when Internal."""
    return {key: target for key, target in API_TARGETS.items() if external or not target.external}


def load_balancer_names(infra_id: str) -> dict[str, str]:
    return {"external": f"{infra_id}-ext", "internal": f"{infra_id}-int"}
