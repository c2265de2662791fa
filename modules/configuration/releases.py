"""What the infrastructure must look like for each OpenShift release: one table, keyed by release.

The installer's contract with the infrastructure under a cluster moves between
releases, and the installer does not carry an existing cluster along (it adds no
grant to a role on upgrade). A UPI generator must follow it, so everything that
differs by release comes from `RELEASES`, and nowhere else:

- The names the release's worker MachineSets find their place by (`tag:Name`
  filters of the MAPI `AWSMachineProviderConfig`, openshift/installer
  `pkg/asset/machines/aws/machines.go`, `provider()`). Up to 4.15, with the
  installer's Terraform: one group `<infra_id>-worker-sg`, subnet
  `<infra_id>-private-<az>`. From 4.16, with Cluster API (installer PR 8006, then
  PR 8567 for release-4.16 dropped the old filters): two groups, `<infra_id>-node`
  and `<infra_id>-lb`, both must resolve, and subnet `<infra_id>-subnet-private-<az>`.
- The `<infra_id>-lb` group itself (4.16 on): Cluster API's `lb` role
  (kubernetes-sigs/cluster-api-provider-aws, `SecurityGroupLB`, "a container for
  the cloud provider to inject its load balancer ingress rules"). It has no
  ingress rule of its own, carries `kubernetes.io/cluster/<infra_id>: owned` (the
  only one of the machine's groups that does, so the in-cluster cloud provider
  writes its load balancers' rules there and nowhere else), and masters and
  workers both carry it (CAPA's GetCoreSecurityGroups).
- The master role's grants (the least-privilege table, constructs/iam.py): 4.23
  and 5.0 add `elasticloadbalancing:SetSecurityGroups` (installer PR 10512: the
  cloud controller puts security groups on the load balancers it makes).

A move to a newer release changes tags and policies in place and adds what is new
(the `-lb` group); it replaces no machine and renames no group (a group's name is
fixed at creation: the worker group keeps `<infra_id>-worker-sg` as its name and
takes the new `Name` tag, which is what the filters read).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MachineApiNames:
    """What a release's worker MachineSets filter on, as suffixes of `<infra_id>-`."""

    worker_group: str  # the `Name` tag of the worker group
    lb_group: str | None  # the cloud provider's group on every machine; None: the release has none
    subnet_prefix: str  # before `<public|private>-<az>` in a subnet's `Name` tag


INSTALLER_TERRAFORM = MachineApiNames(worker_group="worker-sg", lb_group=None, subnet_prefix="")  # 4.14-4.15
CLUSTER_API = MachineApiNames(worker_group="node", lb_group="lb", subnet_prefix="subnet-")  # 4.16 on

# installer PR 10512 (SPLAT-2452), from 4.23/5.0: the cloud controller sets security groups on the
# network load balancers it creates.
LB_SECURITY_GROUPS = ("elasticloadbalancing:SetSecurityGroups",)


@dataclass(frozen=True)
class Release:
    version: str
    names: MachineApiNames
    master_actions: tuple[str, ...] = ()  # granted to the master role besides the least-privilege table

    @property
    def lb_group(self) -> bool:
        return self.names.lb_group is not None

    def settings(self) -> dict[str, Any]:
        """The release's row as an exported module holds it (`local.releases[var.openshift_version]`)."""
        return {"worker_group_tag": self.names.worker_group, "lb_group": self.lb_group,
                "subnet_prefix": self.names.subnet_prefix, "master_grants": self.master_grants}

    @property
    def master_grants(self) -> str:
        """The key of the master's least-privilege document among the module's (`+<action>` per grant added)."""
        return "".join(f"+{action}" for action in self.master_actions)


RELEASES: dict[str, Release] = {r.version: r for r in (
    Release("4.14", INSTALLER_TERRAFORM),
    Release("4.15", INSTALLER_TERRAFORM),
    *(Release(f"4.{minor}", CLUSTER_API) for minor in range(16, 23)),
    Release("4.23", CLUSTER_API, LB_SECURITY_GROUPS),
    Release("5.0", CLUSTER_API, LB_SECURITY_GROUPS),
)}
DEFAULT_RELEASE = "4.22"


# The names themselves, one formula each for the tiers (which may pass HCL for a part) and the
# MachineSets that filter on them.
def subnet_name(infra_id: str, prefix: str, visibility: str, zone: str) -> str:
    """A subnet's `Name` tag: `<infra_id>-<prefix><public|private>-<zone>` (prefix: the release's)."""
    return f"{infra_id}-{prefix}{visibility}-{zone}"


def worker_group_tag(infra_id: str, suffix: str) -> str:
    """The worker group's `Name` tag: `<infra_id>-<suffix>` (suffix: the release's)."""
    return f"{infra_id}-{suffix}"


def lb_group_name(infra_id: str) -> str:
    return f"{infra_id}-{CLUSTER_API.lb_group}"
