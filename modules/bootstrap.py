"""Bootstrap tier (04): the temporary machine that brings up the control plane.

As 04_cluster_bootstrap.yaml builds it: a security group (SSH, and 19531 for
the bootstrap journal that `openshift-install gather` reads), an IAM role and
profile, and the instance in a public subnet with the bootstrap and master
groups, registered in every API and machine-config target group. When
`bootstrap.ignition` is a local file, it travels with the stack as an asset and
is uploaded to a private bucket; the user data points Ignition at it.

The tier is destroyed once the cluster is up. It owns everything it created,
target-group registrations included, so destroying it changes no other tier.
"""
from __future__ import annotations

from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.security_group import SecurityGroup

from .buckets import PrivateBucket
from .cdk import AssetType, Construct, TerraformAsset
from .config import ClusterConfig
from .iam import BOOTSTRAP_POLICY, MachineRole, policy_document
from .ignition import pointer_config
from .machines import machine_pool, register_targets, registered_target_groups
from .rules import ANY_IPV4, Peer, Protocol, Rule, render_rules, tcp
from .tier import Tier, TierStack, new

BOOTSTRAP = "bootstrap"
IGNITION_KEY = "bootstrap.ign"
CHECKOV_WAIVERS = {
    ("CKV_AWS_88", "bootstrap"): "A public IP by design, as in the reference template: `openshift-install gather "
                                 "bootstrap` reaches it, and the tier is destroyed after install.",
    ("CKV_AWS_21", "bootstrap"): "The Ignition bucket holds one object for the length of the install; versions "
                                 "would only keep copies of a secret around.",
}


def bootstrap_rules(ssh_cidr: str) -> tuple[dict[str, Rule], dict[str, Rule]]:
    ingress = {
        "BootstrapIngressSsh": tcp(BOOTSTRAP, 22, Peer.ipv4(ssh_cidr), "SSH"),
        # As the reference opens it: the installer reads the bootstrap journal from outside.
        "BootstrapIngressJournal": tcp(BOOTSTRAP, 19531, ANY_IPV4, "Bootstrap journal (journal-gatewayd)"),
    }
    egress = {"BootstrapEgressAll": Rule(BOOTSTRAP, Protocol.ALL, ANY_IPV4, "Allow all egress")}
    return ingress, egress


class BootstrapStack(TierStack):
    def __init__(self, scope: Construct, config: ClusterConfig | None = None):
        super().__init__(scope, config, Tier.BOOTSTRAP)
        config = self.config
        infra_id = config.infra_id

        group = new(SecurityGroup, self, f"security_group.{BOOTSTRAP}", name=f"{infra_id}-bootstrap-sg",
                    description="Cluster Bootstrap Security Group", vpc_id=self.read(Tier.NETWORK, "vpc_id"),
                    tags={"Name": f"{infra_id}-bootstrap-sg"})
        ingress, egress = bootstrap_rules(config.bootstrap_ssh_cidr)
        render_rules(self, BOOTSTRAP, ingress, egress, {BOOTSTRAP: group.id}, config.vpc_cidr)
        role = MachineRole(self, BOOTSTRAP, infra_id, config.partition, policy_document(BOOTSTRAP_POLICY))

        source, depends_on = self._ignition_source(config)
        instances = machine_pool(
            self, BOOTSTRAP, infra_id=infra_id, machines={"0": {"subnet_index": 0}},
            subnet_ids=self.remote_output(Tier.NETWORK, "public_subnet_ids"),
            ami=config.rhcos_ami, pool=config.bootstrap, instance_profile=role.profile.name,
            security_group_ids=[group.id, self.read(Tier.SECURITY, "master_security_group_id")],
            user_data=pointer_config(source, replace=True), public_ip=True, name=f"{infra_id}-bootstrap",
            depends_on=depends_on)  # Ignition fetches the object at first boot
        register_targets(self, BOOTSTRAP, instances, ["0"], registered_target_groups(self),
                         self.remote_output(Tier.CLUSTER_INFRA, "target_group_arns"))

        machine = f'{instances.terraform_resource_type}.{instances.friendly_unique_id}["0"]'
        self.outputs({
            "bootstrap_instance_id": (f"${{{machine}.id}}", "EC2 instance ID of the bootstrap machine."),
            "bootstrap_private_ip": (f"${{{machine}.private_ip}}", "Private IP of the bootstrap machine."),
            "bootstrap_public_ip": (f"${{{machine}.public_ip}}", "Public IP of the bootstrap machine (SSH, "
                                                                 "openshift-install gather bootstrap)."),
            "bootstrap_security_group_id": (group.id, "ID of the bootstrap security group."),
        })
        self.finish()

    def _ignition_source(self, config: ClusterConfig) -> tuple[str, list[S3Object]]:
        """Where Ignition fetches bootstrap.ign; uploads a local file to a private bucket first.

        A module takes a URL: its caller uploads the file (an `aws_s3_object` next to the
        module call, as examples/consumer does)."""
        if config.module:
            return config.string("bootstrap_ignition_url"), []
        if not config.bootstrap.ignition_is_local:
            return config.bootstrap.ignition, []
        bucket_name = f"{config.infra_id}-bootstrap"
        bucket = PrivateBucket(self, BOOTSTRAP, bucket_name, config.partition).bucket
        asset = TerraformAsset(self, "bootstrap_ignition", path=config.bootstrap.ignition, type=AssetType.FILE)
        # path.module: the asset is found whether the stack is a root module or called as a child.
        path = f"${{path.module}}/{asset.path}"
        ignition = new(S3Object, self, "ignition", bucket=bucket.id, key=IGNITION_KEY, source=path,
                       # Written out: Fn.filemd5 would escape the ${path.module} inside its argument.
                       source_hash=f'${{filemd5("{path}")}}', server_side_encryption="AES256",
                       content_type="application/json")
        return f"s3://{bucket_name}/{IGNITION_KEY}", [ignition]
