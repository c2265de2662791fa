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
from .ignition import pointer_config
from .machines import instance_outputs, machine_pool, spread
from .tier import Tier, TierStack

WORKER = "worker"


class ComputeStack(TierStack):
    def __init__(self, scope: Construct, config: ClusterConfig):
        super().__init__(scope, config, Tier.COMPUTE)
        network = self.remote_tier(Tier.NETWORK)
        security = self.remote_tier(Tier.SECURITY)
        machines = spread(config.compute.replicas, len(config.availability_zones))
        workers = machine_pool(
            self, WORKER, infra_id=config.infra_id, machines=machines,
            subnet_ids=f"data.terraform_remote_state.{network.friendly_unique_id}.outputs.private_subnet_ids",
            ami=config.rhcos_ami, pool=config.compute,
            instance_profile=security.get_string("worker_instance_profile_name"),
            security_group_ids=[security.get_string("worker_security_group_id")],
            user_data=pointer_config(config.worker_ignition_url, ca=config.ignition_ca))
        self.outputs(instance_outputs(workers, WORKER, list(machines)))
        self.finish()
