"""Control-plane tier (05): three masters, one per AZ, registered in every API target group.

As 05_cluster_master_nodes.yaml builds them: private subnets (wrapping round the
AZs when there are fewer than three), the master security group and instance
profile, and user data that merges the master config from the machine config
server, trusting the cluster CA. With `publish: Internal` there is no external
target group to register in.
"""
from __future__ import annotations

from .cdk import Construct
from .config import ClusterConfig
from .machine_config import CONTROL_PLANE_REPLICAS
from .machines import cluster_nodes, machine_keys, register_targets, registered_target_groups
from .tier import Tier, TierStack

MASTER = "master"


class ControlPlaneStack(TierStack):
    def __init__(self, scope: Construct, config: ClusterConfig | None = None):
        super().__init__(scope, config, Tier.CONTROL_PLANE)
        config = self.config
        masters = cluster_nodes(self, MASTER, CONTROL_PLANE_REPLICAS, config.control_plane,
                                config.master_ignition_url)
        register_targets(self, MASTER, masters, machine_keys(CONTROL_PLANE_REPLICAS), registered_target_groups(self),
                         self.remote_output(Tier.CLUSTER_INFRA, "target_group_arns"))
        self.finish()
