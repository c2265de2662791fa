"""Bootstrap tier (04): the temporary machine that brings up the control plane.

As 04_cluster_bootstrap.yaml builds it: a security group (SSH, and 19531 for
the bootstrap journal that `openshift-install gather` reads), an IAM role and
profile (or an existing profile), and the instance with the bootstrap and master
groups, registered in every API and machine-config target group. The instance is
in a public subnet with a public IP when `publish` is External (as the template
has it), in a private one without when Internal (as the installer does), unless
`bootstrap.subnet` says otherwise. When `bootstrap.ignition` is a local file, it
travels with the stack as an asset and is uploaded to a private bucket (SSE-KMS
with `bootstrap.ignition_kms_key_arn` when given, which the role may then decrypt
with); the user data points Ignition at it, or at the s3:// or https:// URL given.

The tier is destroyed once the cluster is up. It owns everything it created,
target-group registrations included, so destroying it changes no other tier.
"""
from __future__ import annotations

from cdktf_cdktf_provider_aws.s3_object import S3Object

from ..configuration.ignition import pointer_config
from ..configuration.topology import MACHINE_POOLS, Tier
from ..constructs.buckets import PrivateBucket, sse_algorithm
from ..constructs.cdk import AssetType, Construct, TerraformAsset
from ..constructs.hcl import Expr, new
from ..constructs.iam import BOOTSTRAP_POLICY, MachineRole, Statement, policy_document
from ..constructs.machines import machine_pool, register_targets
from ..constructs.rules import ANY_IPV4, Peer, Protocol, Rule, security_groups, tcp
from ..constructs.waivers import waive
from .base import TierStack
from .inputs import InputSource

BOOTSTRAP = MACHINE_POOLS[Tier.BOOTSTRAP]
IGNITION_KEY = "bootstrap.ign"


def bootstrap_rules(ssh_cidr: str) -> tuple[dict[str, Rule], dict[str, Rule]]:
    ingress = {
        "BootstrapIngressSsh": tcp(BOOTSTRAP, 22, Peer.ipv4(ssh_cidr), "SSH"),
        # As the reference opens it: the installer reads the bootstrap journal from outside.
        "BootstrapIngressJournal": tcp(BOOTSTRAP, 19531, ANY_IPV4, "Bootstrap journal (journal-gatewayd)"),
    }
    egress = {"BootstrapEgressAll": Rule(BOOTSTRAP, Protocol.ALL, ANY_IPV4, "Allow all egress")}
    return ingress, egress


class BootstrapStack(TierStack):
    tier = Tier.BOOTSTRAP

    def __init__(self, scope: Construct, source: InputSource):
        super().__init__(scope, source)
        inputs = self.inputs
        infra_id = inputs.infra_id

        ingress, egress = bootstrap_rules(inputs.bootstrap_ssh_cidr)
        group = security_groups(self, infra_id, self.read(Tier.NETWORK, "vpc_id"),
                                {BOOTSTRAP: "Cluster Bootstrap Security Group"}, BOOTSTRAP, ingress, egress,
                                inputs.vpc_cidr, id_prefix="security_group.")[BOOTSTRAP]
        key = inputs.bootstrap_ignition_kms_key_arn
        # Reading an SSE-KMS object needs kms:Decrypt on its key.
        statements = BOOTSTRAP_POLICY + ((Statement(("kms:Decrypt",), (key,)),) if key else ())
        role = MachineRole(self, BOOTSTRAP, infra_id, inputs.partition, policy_document(statements),
                           path=inputs.iam_path, boundary=inputs.iam_permissions_boundary,
                           existing_profile=inputs.bootstrap.instance_profile)

        source_url, depends_on = self._ignition_source()
        public = inputs.bootstrap_public
        instances = machine_pool(
            self, BOOTSTRAP, infra_id=infra_id, machines={"0": {"subnet_index": 0}},
            subnet_ids=self._subnets(public), ami=inputs.rhcos_ami, pool=inputs.bootstrap,
            instance_profile=role.profile_name,
            security_group_ids=[group.id, self.read(Tier.SECURITY, "master_security_group_id")],
            user_data=pointer_config(source_url, replace=True), public_ip=public, name=f"{infra_id}-bootstrap",
            depends_on=depends_on)  # Ignition fetches the object at first boot
        if public is not False:
            waive(instances, "CKV_AWS_88", "A public IP by design when the machine is public, as in the reference "
                                           "template: `openshift-install gather bootstrap` reaches it, and the tier "
                                           "is destroyed after install.")
        register_targets(self, BOOTSTRAP, instances, ["0"], inputs.api_target_groups,
                         self.upstream(Tier.CLUSTER_INFRA, "target_group_arns"))

        machine = f'{instances.terraform_resource_type}.{instances.friendly_unique_id}["0"]'
        self.outputs({
            "bootstrap_instance_id": (f"${{{machine}.id}}", "EC2 instance ID of the bootstrap machine."),
            "bootstrap_private_ip": (f"${{{machine}.private_ip}}", "Private IP of the bootstrap machine."),
            "bootstrap_public_ip": (f"${{{machine}.public_ip}}", "Public IP of the bootstrap machine (SSH, "
                                                                 "openshift-install gather bootstrap)."),
            "bootstrap_security_group_id": (group.id, "ID of the bootstrap security group."),
        })
        self.finish()

    def _subnets(self, public) -> str:
        """HCL for the subnet list the machine goes into: the public or the private subnets."""
        subnets = {kind: self.upstream(Tier.NETWORK, f"{kind}_subnet_ids") for kind in ("public", "private")}
        if isinstance(public, Expr):
            return f"({public} ? {subnets['public']} : {subnets['private']})"
        return subnets["public" if public else "private"]

    def _ignition_source(self) -> tuple[str, list[S3Object]]:
        """Where Ignition fetches bootstrap.ign; uploads a local file to a private bucket first.

        A module takes a URL: its caller uploads the file (an `aws_s3_object` next to the
        module call, as examples/consumer does)."""
        inputs = self.inputs
        if inputs.bootstrap_ignition_file is None:
            return inputs.bootstrap_ignition_url, []
        bucket_name, key = f"{inputs.infra_id}-bootstrap", inputs.bootstrap_ignition_kms_key_arn
        bucket = PrivateBucket(self, BOOTSTRAP, bucket_name, inputs.partition, kms_key_arn=key).bucket
        waive(bucket, "CKV_AWS_21", "The Ignition bucket holds one object for the length of the install; versions "
                                    "would only keep copies of a secret around.")
        asset = TerraformAsset(self, "bootstrap_ignition", path=inputs.bootstrap_ignition_file, type=AssetType.FILE)
        # path.module: the asset is found whether the stack is a root module or called as a child.
        path = f"${{path.module}}/{asset.path}"
        ignition = new(S3Object, self, "ignition", bucket=bucket.id, key=IGNITION_KEY, source=path,
                       # Written out: Fn.filemd5 would escape the ${path.module} inside its argument.
                       source_hash=f'${{filemd5("{path}")}}', server_side_encryption=sse_algorithm(key),
                       kms_key_id=key, content_type="application/json")
        return f"s3://{bucket_name}/{IGNITION_KEY}", [ignition]
