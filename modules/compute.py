"""Compute tier (06): `compute.replicas` workers spread across the AZs.

As 06_cluster_worker_node.yaml builds one, repeated: private subnet, worker
security group and instance profile, user data that merges the worker config
from the machine config server. Workers are in no target group. They are keyed
"0", "1", ..., so going from 3 to 4 replicas adds worker "3" and touches no
other.
"""
from __future__ import annotations

from .cdk import Construct
from .config import ClusterConfig
from .machines import cluster_nodes
from .tier import Tier, TierStack


class ComputeStack(TierStack):
    def __init__(self, scope: Construct, config: ClusterConfig | None = None):
        super().__init__(scope, config, Tier.COMPUTE)
        config = self.config
        replicas = config.ref("worker_replicas") if config.module else config.compute.replicas
        cluster_nodes(self, "worker", replicas, config.compute, config.worker_ignition_url)
        self.finish()
