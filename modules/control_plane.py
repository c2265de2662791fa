"""Control-plane tier (05): three masters, one per AZ, registered in every API target group.

As 05_cluster_master_nodes.yaml builds them: private subnets (wrapping round the
AZs when there are fewer than three), the master security group and instance
profile, and user data that merges the master config from the machine config
server, trusting the cluster CA. With `publish: Internal` there is no external
target group to register in.
"""
from __future__ import annotations

from .cdk import Construct
from .cluster_infra import api_targets
from .config import ClusterConfig
from .ignition import pointer_config
from .machine_config import CONTROL_PLANE_REPLICAS
from .machines import instance_outputs, machine_pool, register_targets, spread
from .tier import Tier, TierStack

MASTER = "master"


class ControlPlaneStack(TierStack):
    def __init__(self, scope: Construct, config: ClusterConfig):
        super().__init__(scope, config, Tier.CONTROL_PLANE)
        network = self.remote_tier(Tier.NETWORK)
        security = self.remote_tier(Tier.SECURITY)
        cluster_infra = self.remote_tier(Tier.CLUSTER_INFRA)
        machines = spread(CONTROL_PLANE_REPLICAS, len(config.availability_zones))
        masters = machine_pool(
            self, MASTER, infra_id=config.infra_id, machines=machines,
            subnet_ids=f"data.terraform_remote_state.{network.friendly_unique_id}.outputs.private_subnet_ids",
            ami=config.rhcos_ami, pool=config.control_plane,
            instance_profile=security.get_string("master_instance_profile_name"),
            security_group_ids=[security.get_string("master_security_group_id")],
            user_data=pointer_config(config.master_ignition_url, ca=config.ignition_ca))
        register_targets(self, MASTER, masters, list(machines), list(api_targets(config)), cluster_infra)
        self.outputs(instance_outputs(masters, MASTER, list(machines)))
        self.finish()
