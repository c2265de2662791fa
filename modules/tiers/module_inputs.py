"""`TierInputs` of a tier exported as a reusable Terraform module: every input a variable.

Tier code reads the same attributes as in a stack (see inputs.py); here each
answers with a Terraform variable, declared the first time a tier reads it, so
each module declares exactly the inputs its tier uses. Flags are HCL conditions
on those variables. Other tiers' outputs are variables of the same name. There is
no provider or backend: the caller's provider configuration applies.

Each variable's `validation` blocks come from the same table of limits the
configuration loader checks (configuration/limits.py), so a module accepts
exactly what a stack accepts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.provider import AwsProvider

from ..configuration.cluster import CARVED_BLOCKS, ClusterConfig, IngressConfig
from ..configuration.edge import BLOCKS, WAVELENGTH_NAME, ZoneType
from ..configuration.ignition import machine_config_url
from ..configuration.limits import VARIABLE_LIMITS, Publish
from ..configuration.machines import BootstrapConfig, ComputeConfig, ControlPlaneConfig
from ..configuration.regions import Partition
from ..configuration.topology import UPSTREAM_VARIABLES, Tier
from ..constructs.cdk import Construct, TerraformVariable, Token
from ..constructs.hcl import Expr, local_value, new
from .inputs import CredentialsInputs, ExistingVpcInputs, IngressInputs


@dataclass(frozen=True)
class Variable:
    type: str
    description: str
    default: Any = None
    required: bool = True
    nullable: bool = False


def _is_one_try(condition: str) -> bool:
    """Whether `condition` is a single `try(..., false)` (false, not an error, on null)."""
    if not (condition.startswith("try(") and condition.endswith(", false)")):
        return False
    depth, i = 0, 0
    while i < len(condition):
        char = condition[i]
        if char == '"':  # skip a string (a pattern's parentheses are not the expression's)
            i += 1
            while condition[i] != '"':
                i += 2 if condition[i] == "\\" else 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i == len(condition) - 1
        i += 1
    return False


def required(type_: str, description: str) -> Variable:
    return Variable(type_, description)


def optional(description: str, type_: str = "string", default: Any = None) -> Variable:
    return Variable(type_, description, default, required=False, nullable=default is None)


_DEFAULTS = ClusterConfig("c", "c", "c", "us-east-1", ("us-east-1a",), "ami-0", "data:,")

# Every input a tier module can have: configuration keys (docs/reference/configuration.md)
# and the outputs of the tiers it builds on. Defaults are the configuration's.
VARIABLES: dict[str, Variable] = {
    "cluster_name": required("string", "Cluster name, as in install-config.yaml (metadata.name)."),
    "infra_id": required("string", "Infrastructure name from metadata.json (<cluster_name>-<5 chars>); "
                                   "prefixes every resource name."),
    "base_domain": required("string", "Base DNS domain of the cluster (its public hosted zone)."),
    "availability_zones": required("list(string)", "AZ names, 1 to 3; subnet blocks follow this order."),
    "vpc_cidr": optional("IPv4 CIDR block of the VPC.", default=_DEFAULTS.vpc_cidr),
    "subnet_bits": optional("Host bits of each subnet (12 gives /20 subnets).", "number", _DEFAULTS.subnet_bits),
    "nat_gateways": optional("One NAT gateway (and EIP) per AZ for the private subnets.", "bool",
                             _DEFAULTS.nat_gateways),
    "network_acl": optional("Attach the documented network ACL to the public subnets.", "bool",
                            _DEFAULTS.network_acl),
    "edge_zones": optional("Local Zones and Wavelength Zones for edge compute (docs/guides/edge-zones.md): the type is "
                           "told from the name when null; CIDRs default to the next free blocks after the AZs' six, in "
                           "list order (network); an existing VPC's edge subnets are named by ID (existing_network).",
                           "list(object({ name = string, type = optional(string), public_cidr = optional(string), "
                           "private_cidr = optional(string), public_subnet_id = optional(string), "
                           "private_subnet_id = optional(string) }))", []),
    "restricted_network": optional("Interface endpoints for ec2, elasticloadbalancing and sts.", "bool",
                                   _DEFAULTS.restricted_network),
    "publish": optional("External (public API load balancer and record) or Internal.",
                        default=_DEFAULTS.publish.value),
    "public_zone_id": optional("Public hosted zone ID for the api record; null looks it up by base_domain."),
    "iam_profile": optional("least_privilege (the installer's grants) or documented (SPEC 2.5's table).",
                            default=_DEFAULTS.iam_profile.value),
    "openshift_version": optional("The OpenShift release the infrastructure is for: the names its MachineSets filter on "
                                  "and its roles' grants follow it (docs/guides/releases.md).",
                                  default=_DEFAULTS.openshift_version),
    "state_bucket": required("string", "Name of the bucket that will hold the tiers' state."),
    "lock_table": optional("Name of an optional DynamoDB lock table (S3 lock files need none)."),
    "rhcos_ami": required("string", "RHCOS AMI ID for the region."),
    "ignition_ca": required("string", "The cluster CA as master.ign carries it (data URL) or an HTTPS URL."),
    "bootstrap_ignition_url": required("string", "Where the bootstrap machine fetches bootstrap.ign "
                                                 "(s3://bucket/key or https://...)."),
    "bootstrap_ssh_cidr": optional("CIDR allowed to SSH to the bootstrap machine; null means the VPC CIDR."),
    "bootstrap_instance_type": optional("Bootstrap instance type.", default=BootstrapConfig().instance_type),
    "master_instance_type": optional("Master instance type.", default=ControlPlaneConfig().instance_type),
    "worker_instance_type": optional("Worker instance type.", default=ComputeConfig().instance_type),
    "root_volume_size": optional("Root volume size in GiB.", "number", BootstrapConfig().root_volume_size),
    "root_volume_type": optional("Root volume type.", default=BootstrapConfig().root_volume_type),
    "worker_replicas": optional("Number of workers.", "number", ComputeConfig().replicas),
    "master_ignition_url": optional("Master config URL; null means https://api-int.<cluster domain>:22623/config/master."),
    "worker_ignition_url": optional("Worker config URL; null means https://api-int.<cluster domain>:22623/config/worker."),
    # Existing infrastructure, and what the project creates (docs/existing-infrastructure.md).
    "private_zone_id": optional("Existing private hosted zone for the cluster's records; null creates one."),
    "iam_permissions_boundary": optional("Permissions boundary (policy ARN) of every role the module creates."),
    "iam_path": optional("IAM path of every role and instance profile the module creates; null means /."),
    **{f"{prefix}_instance_profile": optional(f"Existing instance profile for {what}; null creates role, policy and "
                                              "profile.") for prefix, what in
       (("bootstrap", "the bootstrap machine"), ("master", "masters"), ("worker", "workers"))},
    **{f"{prefix}_additional_security_group_ids": optional(f"Security groups attached to {what} besides the "
                                                           "cluster's own.", "list(string)", [])
       for prefix, what in (("bootstrap", "the bootstrap machine"), ("master", "masters"), ("worker", "workers"))},
    "root_volume_kms_key_arn": optional("KMS key ARN for the machines' root volumes; null uses EBS's default key."),
    "state_kms_key_arn": optional("KMS key ARN for the state bucket (SSE-KMS); null means SSE-S3."),
    "bootstrap_subnet": optional("private or public; null means public when publish is External, else private."),
    "s3_endpoint": optional("Add the S3 gateway endpoint to the existing subnets' route tables.", "bool", False),
    "subnet_role_tags": optional("Tag the subnets kubernetes.io/role/elb and internal-elb (false: they already are; "
                                 "destroy removes the tags this module adds).", "bool", True),
    # Short-term credentials (docs/credentials.md).
    "credentials_requests": required("map(object({ role_name = string, subjects = list(string), policy = string }))",
                                     "One entry per CredentialsRequest, keyed <secret namespace>/<secret name>: the "
                                     "role name, the service accounts (system:serviceaccount:<ns>:<name>) that may "
                                     "assume it, and its inline policy (JSON)."),
    "jwks": required("string", "The issuer's key set (keys.json) of the service-account signing public key(s)."),
    "issuer_hosting": optional("cloudfront (a private bucket behind CloudFront) or public_bucket.",
                               default="cloudfront"),
    # The `*.apps` records (docs/guides/apps-records.md).
    "ingress_service": optional("The router's Service, <namespace>/<name>, whose load balancer the records point at.",
                                default=IngressConfig().service),
    "ingress_load_balancer": optional("Name of the cluster's load balancer the records point at instead; null: the "
                                      "one the cloud provider made for ingress_service."),
    # Outputs of other tiers.
    "vpc_id": required("string", "ID of the cluster VPC (network tier output, or the existing VPC)."),
    "public_subnet_ids": required("list(string)", "Public subnet IDs, in AZ order (network tier output, or the "
                                                  "existing VPC's; empty when Internal with a private bootstrap)."),
    "private_subnet_ids": required("list(string)", "Private subnet IDs, in AZ order (network tier output, or the "
                                                   "existing VPC's)."),
    "target_group_arns": required("map(string)", "API target group ARNs by name (cluster-infra tier output)."),
    "cluster_private_zone_id": required("string", "The cluster's private hosted zone, created or given (cluster-infra "
                                                  "tier output private_zone_id)."),
    "master_security_group_id": required("string", "Master security group ID (security tier output)."),
    "worker_security_group_id": required("string", "Worker security group ID (security tier output)."),
    # Required, and null before 4.16: a caller who wires the modules by hand must not forget it.
    "lb_security_group_id": Variable("string", "The cloud provider's security group on masters and workers, "
                                               "<infra_id>-lb (security tier output): from OpenShift 4.16, null before.",
                                     nullable=True),
    "master_instance_profile_name": required("string", "Master instance profile (security tier output)."),
    "worker_instance_profile_name": required("string", "Worker instance profile (security tier output)."),
}

class ModulePartition(Partition):
    """The partition as the provider reports it, for modules that may run in any of them."""

    def __init__(self, data: DataAwsPartition):
        current = f"data.aws_partition.{data.friendly_unique_id}"
        super().__init__(f"${{{current}.partition}}", f"${{{current}.dns_suffix}}",
                         Expr(f'{current}.partition != "aws-us-gov"'), f"${{{current}.reverse_dns_prefix}}")


class FromVariables:
    """Build a tier as a module: the stack is named after the tier (see `ModuleInputs`).

    `existing_vpc`: the network tier looks up an existing VPC (module `existing_network`)."""

    def __init__(self, *, existing_vpc: bool = False):
        self.existing = existing_vpc

    def stack_name(self, tier: Tier) -> str:
        return f"existing-{tier.value}" if self.existing else tier.value

    def bind(self, stack: Construct, tier: Tier) -> "ModuleInputs":
        # Only for cdktf's checks: the export drops the block (the caller configures the provider).
        AwsProvider(stack, "aws")
        return ModuleInputs(stack, existing_vpc=self.existing)


class ModulePool:
    """A machine pool's settings as variables, each declared when the tier first reads it."""

    def __init__(self, inputs: "ModuleInputs", role: str):
        self._inputs, self._role = inputs, role

    instance_type = property(lambda self: self._inputs._string(f"{self._role}_instance_type"))
    root_volume_size = property(lambda self: self._inputs._number("root_volume_size"))
    root_volume_type = property(lambda self: self._inputs._string("root_volume_type"))
    root_volume_kms_key_arn = property(lambda self: self._inputs.ref("root_volume_kms_key_arn"))
    instance_profile = property(lambda self: self._inputs.ref(f"{self._role}_instance_profile"))
    additional_security_group_ids = property(
        lambda self: self._inputs.ref(f"{self._role}_additional_security_group_ids"))


def _pool(role: str) -> property:
    return property(lambda self: ModulePool(self, role))


class ModuleInputs:
    """`TierInputs` answered with the module's variables (declared on first read)."""

    bootstrap_ignition_file = None  # the caller uploads bootstrap.ign (examples/consumer does)
    bootstrap_ignition_kms_key_arn = None  # and encrypts it as it chooses
    state_key_prefix = None  # where the caller keeps each tier's state is its own business
    # A zone of another account: the caller passes the module a provider that assumes the role.
    private_zone_provider = None

    def __init__(self, scope: Construct, *, existing_vpc: bool = False):
        self._scope, self._existing_vpc = scope, existing_vpc
        # Own scope for the variables: an output may have a variable's name (`vpc_id`).
        self._inputs = Construct(scope, "inputs")
        self.declared: dict[str, TerraformVariable] = {}
        self._data: dict[str, Any] = {}

    # ------------------------------------------------------------------ variables

    def _variable(self, name: str) -> TerraformVariable:
        if name not in self.declared:
            spec = VARIABLES[name]
            options: dict[str, Any] = {"type": spec.type, "description": spec.description}
            if not spec.required:
                options["default"] = spec.default
                options["nullable"] = spec.nullable
            variable = TerraformVariable(self._inputs, name, **options)
            variable.override_logical_id(name)
            limit = VARIABLE_LIMITS.get(name)
            if limit is not None:
                condition = limit.condition(f"var.{name}")
                if spec.nullable:
                    # `||` evaluates both sides in Terraform: the check must not fail on null itself.
                    condition = f"var.{name} == null || {condition if _is_one_try(condition) else f'try({condition}, false)'}"
                message = f"{name} must be {limit.describe()}."
                # JSON syntax: a string is a template, so the expression goes in ${}.
                variable.add_validation(condition=f"${{{condition}}}", error_message=message)
            self.declared[name] = variable
        return self.declared[name]

    def ref(self, name: str) -> Expr:
        """`var.<name>`, for hand-written expressions."""
        self._variable(name)
        return Expr(f"var.{name}")

    def _string(self, name: str) -> str:
        return self._variable(name).string_value

    def _number(self, name: str) -> float:
        return self._variable(name).number_value

    def _datum(self, cls: type, name: str) -> Any:
        key = f"{cls.__name__}.{name}"
        if key not in self._data:
            self._data[key] = new(cls, self._scope, key)
        return self._data[key]

    def upstream(self, tier: Tier, output: str) -> Expr:
        """Another tier's output: an input variable of the same name (or of the name `UPSTREAM_VARIABLES`
        gives it, where a configuration variable has the output's name)."""
        return self.ref(UPSTREAM_VARIABLES.get(output, output))

    # ------------------------------------------------------------------ TierInputs

    cluster_name = property(lambda self: self._string("cluster_name"))
    infra_id = property(lambda self: self._string("infra_id"))
    base_domain = property(lambda self: self._string("base_domain"))
    rhcos_ami = property(lambda self: self._string("rhcos_ami"))
    ignition_ca = property(lambda self: self._string("ignition_ca"))
    vpc_cidr = property(lambda self: self._string("vpc_cidr"))
    public_zone_id = property(lambda self: self.ref("public_zone_id"))
    bootstrap_ignition_url = property(lambda self: self._string("bootstrap_ignition_url"))
    worker_replicas = property(lambda self: self.ref("worker_replicas"))
    lock_table = property(lambda self: self.ref("lock_table"))
    state_kms_key_arn = property(lambda self: self.ref("state_kms_key_arn"))
    private_zone_id = property(lambda self: self.ref("private_zone_id"))
    iam_permissions_boundary = property(lambda self: self.ref("iam_permissions_boundary"))
    iam_path = property(lambda self: self.ref("iam_path"))
    bootstrap = _pool("bootstrap")
    control_plane = _pool("master")
    compute = _pool("worker")
    state_bucket = property(lambda self: self._string("state_bucket"))
    state_region = property(lambda self: self.region)
    zone_list = property(lambda self: self.ref("availability_zones"))
    zone_count = property(lambda self: Expr(f"length({self.upstream(Tier.NETWORK, 'private_subnet_ids')})"))
    api_target_groups = property(lambda self: Expr(f"keys({self.upstream(Tier.CLUSTER_INFRA, 'target_group_arns')})"))

    @property
    def existing_vpc(self) -> ExistingVpcInputs | None:
        if not self._existing_vpc:
            return None
        azs = self.ref("availability_zones")
        # `if`, not a conditional: `{}` and a map of subnets are not of one type to Terraform.
        by_az = lambda ids: Expr(f"{{ for index, az in {azs} : az => {ids}[index] if index < length({ids}) }}")  # noqa: E731
        return ExistingVpcInputs(self.ref("vpc_id"), by_az(self.ref("private_subnet_ids")),
                                 by_az(self.ref("public_subnet_ids")), Expr(self.ref("s3_endpoint")),
                                 Expr(self.ref("subnet_role_tags")))

    @property
    def credentials(self) -> CredentialsInputs:
        return CredentialsInputs(self.ref("credentials_requests"), self._string("jwks"),
                                 Expr(f'{self.ref("issuer_hosting")} == "cloudfront"'))

    @property
    def ingress(self) -> IngressInputs:
        return IngressInputs(self.ref("ingress_service"), self.ref("ingress_load_balancer"))

    @property
    def bootstrap_public(self) -> Expr:
        subnet = self.ref("bootstrap_subnet")
        return Expr(f'coalesce({subnet}, {self.external} ? "public" : "private") == "public"')

    @property
    def region(self) -> str:
        return Token.as_string(self._datum(DataAwsRegion, "current").name)

    @property
    def partition(self) -> Partition:
        return ModulePartition(self._datum(DataAwsPartition, "current"))

    @property
    def cluster_domain(self) -> str:
        return f"{self.cluster_name}.{self.base_domain}"

    @cached_property
    def subnet_newbits(self) -> Any:
        """`cidrsubnet` newbits, as a local: Fn.* arguments must be references, not `${}` text."""
        return local_value(self._scope, "subnet_newbits", f'${{32 - tonumber(split("/", {self.ref("vpc_cidr")})[1])'
                           f' - {self.ref("subnet_bits")}}}').as_number

    @cached_property
    def edge_zones(self) -> Expr:
        """The zones by name, as a stack has them (`edge.EdgeZone.network`): the type told from the name
        when not given, and, in a VPC the tier creates, the default CIDRs (edge.default_blocks) in HCL."""
        zones, wavelength = self.ref("edge_zones"), ZoneType.WAVELENGTH.value
        kind = (f'coalesce(zone.type, can(regex({json.dumps(f"^(?:{WAVELENGTH_NAME.pattern})$")}, zone.name)) ? '
                f'"{wavelength}" : "{ZoneType.LOCAL.value}")')
        if self._existing_vpc:
            cidrs = "public_cidr = zone.public_cidr, private_cidr = zone.private_cidr"
        else:
            local_value(self._scope, "edge_zone_types", f"${{[for zone in {zones} : {kind}]}}")
            # Blocks before a zone: the AZs' six, then two per Wavelength Zone and one per Local Zone before it.
            blocks = json.dumps({kind.value: count for kind, count in BLOCKS.items()}).replace(":", " =")
            local_value(self._scope, "edge_zone_first_blocks", f'${{[for index, type in local.edge_zone_types : '
                        f'{CARVED_BLOCKS} + sum(concat([0], [for t in slice(local.edge_zone_types, 0, index) : '
                        f'{blocks}[t]]))]}}')
            kind = "local.edge_zone_types[index]"
            self.subnet_newbits  # declares local.subnet_newbits
            block = lambda offset: (f"cidrsubnet({self.ref('vpc_cidr')}, local.subnet_newbits, "  # noqa: E731
                                    f"local.edge_zone_first_blocks[index] + {offset})")
            cidrs = (f"public_cidr = zone.public_cidr != null ? zone.public_cidr : {block(0)}, "
                     f"private_cidr = zone.private_cidr != null ? zone.private_cidr : "
                     f'{kind} == "{wavelength}" ? {block(1)} : null')
        # Every key is kept, also those this kind of network does not take: the tier refuses them
        # (edge_network.MODULE_CHECKS), as the loader does for a stack.
        local_value(self._scope, "edge_zone_rows", f"${{{{ for index, zone in {zones} : zone.name => {{ type = {kind}, "
                    f"{cidrs}, public_subnet_id = zone.public_subnet_id, private_subnet_id = zone.private_subnet_id }} }}}}")
        return Expr("local.edge_zone_rows")

    @property
    def zones(self) -> Expr:
        return Expr(f"{{ for index, az in {self.ref('availability_zones')} : az => index }}")

    # Flags: conditions on variables.
    external = property(lambda self: Expr(f'{self.ref("publish")} == "{Publish.EXTERNAL.value}"'))
    nat_gateways = property(lambda self: Expr(self.ref("nat_gateways")))
    network_acl = property(lambda self: Expr(self.ref("network_acl")))
    restricted_network = property(lambda self: Expr(self.ref("restricted_network")))
    iam_profile = property(lambda self: self.ref("iam_profile"))
    openshift_version = property(lambda self: self.ref("openshift_version"))

    def _url(self, name: str, role: str) -> str:
        """`local.<name>`: the variable, or the machine config server's URL (a local keeps the
        quotes of the default out of the JSON user data it is written into)."""
        default = machine_config_url(f"${{{self.ref('cluster_name')}}}.${{{self.ref('base_domain')}}}", role)
        local_value(self._scope, name, f"${{coalesce({self.ref(name)}, \"{default}\")}}")
        return f"${{local.{name}}}"

    master_ignition_url = property(lambda self: self._url("master_ignition_url", "master"))
    worker_ignition_url = property(lambda self: self._url("worker_ignition_url", "worker"))

    @property
    def bootstrap_ssh_cidr(self) -> str:
        return f"${{coalesce({self.ref('bootstrap_ssh_cidr')}, {self.ref('vpc_cidr')})}}"
