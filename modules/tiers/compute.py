"""Compute tier (06): `compute.replicas` workers spread across the AZs.

As 06_cluster_worker_node.yaml builds one, repeated: private subnet, worker
security group and instance profile, user data that merges the worker config
from the machine config server. Workers are in no target group. They are keyed
"0", "1", ..., so going from 3 to 4 replicas adds worker "3" and touches no
other.
"""
from __future__ import annotations

from ..configuration.topology import MACHINE_POOLS, Tier
from ..constructs.cdk import Construct
from .base import TierStack
from .inputs import InputSource
from .nodes import cluster_nodes


class ComputeStack(TierStack):
    tier = Tier.COMPUTE

    def __init__(self, scope: Construct, source: InputSource):
        super().__init__(scope, source)
        cluster_nodes(self, MACHINE_POOLS[Tier.COMPUTE], self.inputs.worker_replicas, self.inputs.compute, self.inputs.worker_ignition_url)
        self.finish()
