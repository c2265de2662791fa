"""The tiers as reusable Terraform modules: their inputs, as variables.

A tier's constructs read the cluster configuration through a handful of
attributes (`config.infra_id`, `config.availability_zones`, ...). In a stack
those are `ClusterConfig`'s literal values; in an exported module they are
`ModuleConfig`'s Terraform variables, declared the first time a construct reads
them, so each module declares exactly the inputs its tier uses. The constructs
are the same in both; where a choice changes which resources exist (publish,
NAT gateways, the network ACL, ...), they ask for a `Flag`: a Python bool in a
stack, an HCL condition in a module, and `optional_count()`, `rows_where()` and `rows_when()` turn
either into "create or not" (see below).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion

from .cdk import Construct, TerraformIterator, TerraformLocal, TerraformVariable, Token
from .config import MAX_AZS, MAX_INFRA_ID_LENGTH, MIN_AZS, ClusterConfig
from .machine_config import BootstrapConfig, ComputeConfig, ControlPlaneConfig, MachinePool
from .regions import Partition


class Expr(str):
    """An HCL expression (no surrounding `${}`), e.g. a module's boolean condition."""


Flag = bool | Expr


@dataclass(frozen=True)
class Variable:
    type: str
    description: str
    default: Any = None
    required: bool = True
    validations: tuple[tuple[str, str], ...] = field(default=())  # (condition, error message)
    nullable: bool = False


def optional(description: str, type_: str = "string", default: Any = None, **kw: Any) -> Variable:
    return Variable(type_, description, default, required=False, nullable=default is None, **kw)


_CIDR_OK = "can(cidrhost(var.{0}, 0))"
_DEFAULTS = ClusterConfig("c", "c", "c", "us-east-1", ("us-east-1a",), "ami-0", "data:,")

# Every input a tier module can have: configuration keys (README, "Configuration")
# and the outputs of the tiers it builds on. Defaults are the configuration's.
VARIABLES: dict[str, Variable] = {
    "cluster_name": Variable("string", "Cluster name, as in install-config.yaml (metadata.name).", validations=(
        ('can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.cluster_name))',
         "cluster_name must be a DNS label: lowercase letters, digits and '-'."),)),
    "infra_id": Variable("string", "Infrastructure name from metadata.json (<cluster_name>-<5 chars>); "
                         "prefixes every resource name.", validations=(
        (f'can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.infra_id)) && length(var.infra_id) <= {MAX_INFRA_ID_LENGTH}',
         f"infra_id must be lowercase letters, digits and '-', at most {MAX_INFRA_ID_LENGTH} characters."),)),
    "base_domain": Variable("string", "Base DNS domain of the cluster (its public hosted zone)."),
    "availability_zones": Variable("list(string)", "AZ names, 1 to 3; subnet blocks follow this order.",
                                   validations=((
        f"length(var.availability_zones) >= {MIN_AZS} && length(var.availability_zones) <= {MAX_AZS} && "
        "length(distinct(var.availability_zones)) == length(var.availability_zones)",
        f"availability_zones must hold {MIN_AZS} to {MAX_AZS} distinct AZ names."),)),
    "vpc_cidr": optional("IPv4 CIDR block of the VPC.", default=_DEFAULTS.vpc_cidr, validations=(
        (_CIDR_OK.format("vpc_cidr") + ' && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && '
         'tonumber(split("/", var.vpc_cidr)[1]) <= 24', "vpc_cidr must be an IPv4 CIDR with a /16 to /24 prefix."),)),
    "subnet_bits": optional("Host bits of each subnet (12 gives /20 subnets).", "number", _DEFAULTS.subnet_bits,
                            validations=(("var.subnet_bits >= 5 && var.subnet_bits <= 13",
                                          "subnet_bits must be between 5 and 13."),)),
    "nat_gateways": optional("One NAT gateway (and EIP) per AZ for the private subnets.", "bool",
                             _DEFAULTS.nat_gateways),
    "network_acl": optional("Attach the documented network ACL to the public subnets.", "bool",
                            _DEFAULTS.network_acl),
    "restricted_network": optional("Interface endpoints for ec2, elasticloadbalancing and sts.", "bool",
                                   _DEFAULTS.restricted_network),
    "publish": optional("External (public API load balancer and record) or Internal.",
                        default=_DEFAULTS.publish.value, validations=(
        ('contains(["External", "Internal"], var.publish)', "publish must be External or Internal."),)),
    "public_zone_id": optional("Public hosted zone ID for the api record; null looks it up by base_domain."),
    "iam_profile": optional("least_privilege (the installer's grants) or documented (SPEC 2.5's table).",
                            default=_DEFAULTS.iam_profile.value, validations=(
        ('contains(["least_privilege", "documented"], var.iam_profile)',
         "iam_profile must be least_privilege or documented."),)),
    "state_bucket": Variable("string", "Name of the bucket that will hold the tiers' state."),
    "lock_table": optional("Name of an optional DynamoDB lock table (S3 lock files need none)."),
    "rhcos_ami": Variable("string", "RHCOS AMI ID for the region.", validations=(
        ('can(regex("^ami-[0-9a-f]+$", var.rhcos_ami))', "rhcos_ami must look like ami-0123abcd."),)),
    "ignition_ca": Variable("string", "The cluster CA as master.ign carries it (data URL) or an HTTPS URL."),
    "bootstrap_ignition_url": Variable("string", "Where the bootstrap machine fetches bootstrap.ign "
                                       "(s3://bucket/key or https://...).", validations=(
        ('can(regex("^(s3|https)://", var.bootstrap_ignition_url))',
         "bootstrap_ignition_url must be an s3:// or https:// URL."),)),
    "bootstrap_ssh_cidr": optional("CIDR allowed to SSH to the bootstrap machine; null means the VPC CIDR."),
    "bootstrap_instance_type": optional("Bootstrap instance type.", default=BootstrapConfig().instance_type),
    "master_instance_type": optional("Master instance type.", default=ControlPlaneConfig().instance_type),
    "worker_instance_type": optional("Worker instance type.", default=ComputeConfig().instance_type),
    "root_volume_size": optional("Root volume size in GiB.", "number", BootstrapConfig().root_volume_size,
                                 validations=(("var.root_volume_size >= 16", "root_volume_size must be >= 16."),)),
    "root_volume_type": optional("Root volume type.", default=BootstrapConfig().root_volume_type),
    "worker_replicas": optional("Number of workers.", "number", ComputeConfig().replicas, validations=(
        ("var.worker_replicas >= 0 && floor(var.worker_replicas) == var.worker_replicas",
         "worker_replicas must be a whole number >= 0."),)),
    "master_ignition_url": optional("Master config URL; null means https://api-int.<cluster domain>:22623/config/master."),
    "worker_ignition_url": optional("Worker config URL; null means https://api-int.<cluster domain>:22623/config/worker."),
    # Outputs of other tiers.
    "vpc_id": Variable("string", "ID of the cluster VPC (network tier output)."),
    "public_subnet_ids": Variable("list(string)", "Public subnet IDs, in AZ order (network tier output)."),
    "private_subnet_ids": Variable("list(string)", "Private subnet IDs, in AZ order (network tier output)."),
    "target_group_arns": Variable("map(string)", "API target group ARNs by name (cluster-infra tier output)."),
    "master_security_group_id": Variable("string", "Master security group ID (security tier output)."),
    "worker_security_group_id": Variable("string", "Worker security group ID (security tier output)."),
    "master_instance_profile_name": Variable("string", "Master instance profile (security tier output)."),
    "worker_instance_profile_name": Variable("string", "Worker instance profile (security tier output)."),
}


class ModulePartition(Partition):
    """The partition as the provider reports it, for modules that may run in any of them."""

    def __init__(self, data: DataAwsPartition):
        current = f"data.aws_partition.{data.friendly_unique_id}"
        super().__init__(f"${{{current}.partition}}", f"${{{current}.dns_suffix}}",
                         Expr(f'{current}.partition != "aws-us-gov"'), f"${{{current}.reverse_dns_prefix}}")


class ModuleConfig:
    """`ClusterConfig`'s attributes, answered with the module's variables."""

    module = True

    def __init__(self, scope: Construct):
        self._scope = scope
        # Own scope for the variables: an output may have a variable's name (`vpc_id`).
        self._inputs = Construct(scope, "inputs")
        self.declared: dict[str, TerraformVariable] = {}
        self._data: dict[str, Any] = {}

    # ------------------------------------------------------------------ variables

    def variable(self, name: str) -> TerraformVariable:
        if name not in self.declared:
            spec = VARIABLES[name]
            options: dict[str, Any] = {"type": spec.type, "description": spec.description}
            if not spec.required:
                options["default"] = spec.default
                options["nullable"] = spec.nullable
            variable = TerraformVariable(self._inputs, name, **options)
            variable.override_logical_id(name)
            for condition, message in spec.validations:
                if not spec.required and spec.default is None:
                    condition = f"var.{name} == null || ({condition})"
                # JSON syntax: a string is a template, so the expression goes in ${}.
                variable.add_validation(condition=f"${{{condition}}}", error_message=message)
            self.declared[name] = variable
        return self.declared[name]

    def ref(self, name: str) -> Expr:
        """`var.<name>`, for hand-written expressions."""
        self.variable(name)
        return Expr(f"var.{name}")

    def string(self, name: str) -> str:
        return self.variable(name).string_value

    def number(self, name: str) -> float:
        return self.variable(name).number_value

    def _datum(self, cls: type, name: str) -> Any:
        key = f"{cls.__name__}.{name}"
        if key not in self._data:
            from .tier import new
            self._data[key] = new(cls, self._scope, key)
        return self._data[key]

    # ------------------------------------------------------------------ ClusterConfig's attributes

    cluster_name = property(lambda self: self.string("cluster_name"))
    infra_id = property(lambda self: self.string("infra_id"))
    base_domain = property(lambda self: self.string("base_domain"))
    rhcos_ami = property(lambda self: self.string("rhcos_ami"))
    ignition_ca = property(lambda self: self.string("ignition_ca"))
    vpc_cidr = property(lambda self: self.string("vpc_cidr"))
    public_zone_id = property(lambda self: self.ref("public_zone_id"))
    availability_zones = property(lambda self: self.ref("availability_zones"))

    def pool(self, role: str) -> MachinePool:
        return MachinePool(self.string(f"{role}_instance_type"), self.number("root_volume_size"),
                           self.string("root_volume_type"))

    bootstrap = property(lambda self: self.pool("bootstrap"))
    control_plane = property(lambda self: self.pool("master"))
    compute = property(lambda self: self.pool("worker"))
    resolved_state_bucket = property(lambda self: self.string("state_bucket"))
    resolved_state_region = property(lambda self: self.region)

    @property
    def region(self) -> str:
        return Token.as_string(self._datum(DataAwsRegion, "current").name)

    @property
    def partition(self) -> Partition:
        return ModulePartition(self._datum(DataAwsPartition, "current"))

    @property
    def cluster_domain(self) -> str:
        return f"{self.cluster_name}.{self.base_domain}"

    @property
    def subnet_newbits(self) -> Any:
        """`cidrsubnet` newbits, as a local: Fn.* arguments must be references, not `${}` text."""
        return local_value(self._scope, "subnet_newbits", f'${{32 - tonumber(split("/", {self.ref("vpc_cidr")})[1])'
                           f' - {self.ref("subnet_bits")}}}').as_number

    @property
    def az_index(self) -> Expr:
        return Expr(f"{{ for index, az in {self.ref('availability_zones')} : az => index }}")

    @property
    def azs_expression(self) -> Expr:
        return self.ref("availability_zones")

    # Flags: conditions on variables.
    external = property(lambda self: Expr(f'{self.ref("publish")} == "External"'))
    nat_gateways = property(lambda self: Expr(self.ref("nat_gateways")))
    network_acl = property(lambda self: Expr(self.ref("network_acl")))
    restricted_network = property(lambda self: Expr(self.ref("restricted_network")))

    @property
    def iam_profile(self) -> Expr:
        return self.ref("iam_profile")

    def url(self, name: str, role: str) -> str:
        """`local.<name>`: the variable, or the machine config server's URL (a local keeps the
        quotes of the default out of the JSON user data it is written into)."""
        from .ignition import machine_config_url
        default = machine_config_url(f"${{{self.ref('cluster_name')}}}.${{{self.ref('base_domain')}}}", role)
        local_value(self._scope, name, f"${{coalesce({self.ref(name)}, \"{default}\")}}")
        return f"${{local.{name}}}"

    master_ignition_url = property(lambda self: self.url("master_ignition_url", "master"))
    worker_ignition_url = property(lambda self: self.url("worker_ignition_url", "worker"))

    @property
    def bootstrap_ssh_cidr(self) -> str:
        return f"${{coalesce({self.ref('bootstrap_ssh_cidr')}, {self.ref('vpc_cidr')})}}"


def rows_where(scope: Construct, name: str, flag: Flag, rows: Mapping[str, Any] | Expr) -> TerraformIterator | None:
    """`for_each` rows (a dict, or an HCL map expression) of resources that exist only when
    `flag` holds; None when they never do. A dict under a condition becomes `local.<name>`."""
    if flag is False:
        return None
    if flag is True:
        return TerraformIterator.from_map(dict(rows) if isinstance(rows, Mapping)
                                          else Token.as_any_map(f"${{{rows}}}"))
    if isinstance(rows, Mapping):
        local_value(scope, name, dict(rows))
        rows = Expr(f"local.{name}")
    return TerraformIterator.from_map(Token.as_any_map(f"${{{flag} ? {rows} : {{}}}}"))


def rows_when(scope: Construct, name: str, rows: Mapping[str, Mapping[str, Any]],
              when: Mapping[str, Flag]) -> TerraformIterator:
    """`for_each` over the rows whose condition in `when` holds (rows without one always exist).

    Bool conditions filter the table here; when any is a module's condition,
    Terraform filters `local.<name>` instead."""
    if not any(isinstance(flag, Expr) for flag in when.values()):
        return TerraformIterator.from_map({key: dict(row) for key, row in rows.items() if when.get(key, True)})
    local_value(scope, name, {key: dict(row) for key, row in rows.items()})
    conditions = ", ".join(f'"{key}" = ({str(flag).lower() if isinstance(flag, bool) else flag})'
                           for key, flag in when.items())
    return TerraformIterator.from_map(Token.as_any_map(
        f"${{{{ for key, row in local.{name} : key => row if lookup({{ {conditions} }}, key, true) }}}}"))


def negate(flag: Flag) -> Flag:
    return Expr(f"!({flag})") if isinstance(flag, Expr) else not flag


def local_value(scope: Construct, name: str, expression: Any) -> TerraformLocal:
    """`local.<name>` (named as written: cdktf would otherwise add a hash)."""
    local = TerraformLocal(scope, name, expression)
    local.override_logical_id(name)
    return local


def optional_count(flag: Flag) -> dict[str, Any] | None:
    """Arguments that make a single resource exist only when `flag` holds; None: leave it out."""
    if flag is True:
        return {}
    if flag is False:
        return None
    return {"count": Token.as_number(f"${{{flag} ? 1 : 0}}")}


def attribute(resource: Any, name: str) -> str:
    """`resource.<name>`, also for a resource made with `optional_count` (then null when absent)."""
    from .tier import address
    if resource.count is not None:
        return f"${{one({address(resource)}[*].{name})}}"
    return getattr(resource, name)
