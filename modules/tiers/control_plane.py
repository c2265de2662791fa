"""Control-plane tier (05): three masters, one per AZ, registered in every API target group.

As 05_cluster_master_nodes.yaml builds them: private subnets (wrapping round the
AZs when there are fewer than three), the master security group and instance
profile, and user data that merges the master config from the machine config
server, trusting the cluster CA. With `publish: Internal` there is no external
target group to register in.
"""
from __future__ import annotations

from ..configuration.machines import CONTROL_PLANE_REPLICAS
from ..configuration.topology import MACHINE_POOLS, Tier
from ..constructs.cdk import Construct
from ..constructs.machines import machine_keys, register_targets
from .base import TierStack
from .inputs import InputSource
from .nodes import cluster_nodes

MASTER = MACHINE_POOLS[Tier.CONTROL_PLANE]


class ControlPlaneStack(TierStack):
    tier = Tier.CONTROL_PLANE

    def __init__(self, scope: Construct, source: InputSource):
        super().__init__(scope, source)
        inputs = self.inputs
        masters = cluster_nodes(self, MASTER, CONTROL_PLANE_REPLICAS, inputs.control_plane,
                                inputs.master_ignition_url)
        register_targets(self, MASTER, masters, machine_keys(CONTROL_PLANE_REPLICAS), inputs.api_target_groups,
                         self.upstream(Tier.CLUSTER_INFRA, "target_group_arns"))
        self.finish()
