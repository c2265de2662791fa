"""The inputs contract of the tiers, and its implementation for a cluster's stacks.

Tier code reads what it is built from through `TierInputs`, and nothing else.
There are two implementations, like aws-cdk's `IVpc`:
- `StackInputs` (here): a cluster's stack. Values are the configuration's
  literals, flags are bools, and other tiers' outputs come from their remote
  state. It also gives the stack its provider and S3 backend.
- `ModuleInputs` (module_inputs.py): a tier exported as a Terraform module.
  Values are variables declared on first use, flags are HCL conditions, and
  other tiers' outputs are variables too.
An `InputSource` (`FromConfiguration`, `FromVariables`) names the stack and binds
the implementation to it; tier code never asks which one it has.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence

from cdktf_cdktf_provider_aws.provider import (
    AwsProvider,
    AwsProviderAssumeRole,
    AwsProviderDefaultTags,
    AwsProviderEndpoints,
)

from ..configuration.cluster import ClusterConfig
from ..configuration.limits import IamProfile
from ..configuration.machines import MachinePool
from ..configuration.regions import Partition
from ..configuration.sts import IssuerHosting
from ..configuration.topology import Tier, api_targets, stack_name
from ..constructs.cdk import Construct, DataTerraformRemoteStateS3, LocalBackend, S3Backend, S3BackendEndpointConfig
from ..constructs.hcl import Expr, Flag, terraform_literal

# The configuration's endpoint services that the S3 backend also reaches.
BACKEND_SERVICES = ("s3", "dynamodb", "iam", "sts")
# The provider configuration that writes records into a private zone of another account, in the tiers
# that write records there.
ZONE_PROVIDER_ALIAS = "private_zone"
RECORD_TIERS = (Tier.CLUSTER_INFRA, Tier.INGRESS)


@dataclass(frozen=True)
class ExistingVpcInputs:
    """An existing VPC the network tier looks up (a literal of a stack, or a module's variables)."""

    vpc_id: str | Expr
    private_subnets: Mapping[str, str] | Expr  # AZ name -> subnet ID
    public_subnets: Mapping[str, str] | Expr  # AZ name -> subnet ID; may be empty when Internal
    s3_endpoint: Flag  # add the S3 gateway endpoint to the subnets' route tables
    role_tags: Flag  # tag the subnets' load-balancer roles as well as the cluster


@dataclass(frozen=True)
class CredentialsInputs:
    """The credentials tier's inputs (configuration/sts.py): one row per CredentialsRequest, keyed by its
    Secret (`<namespace>/<name>`): {role_name, subjects, policy}; the key set; the issuer's hosting."""

    requests: Mapping[str, Mapping[str, Any]] | Expr
    jwks: str
    cloudfront: Flag  # behind CloudFront (a private bucket), else two public-read objects


@dataclass(frozen=True)
class IngressInputs:
    """The ingress tier's inputs: the router's Service (`<namespace>/<name>`), or a load balancer's name."""

    service: str | Expr
    load_balancer: str | Expr | None  # None: the load balancer the cloud provider made for `service`


class TierInputs(Protocol):
    """What a tier is built from. A value is a literal (stack) or a token / `Expr` (module);
    a `Flag` is a bool (stack) or an HCL condition (module)."""

    # Identity and place.
    cluster_name: str
    infra_id: str
    base_domain: str
    cluster_domain: str
    region: str
    partition: Partition
    # Network (01).
    existing_vpc: ExistingVpcInputs | None  # None: the tier creates the VPC
    vpc_cidr: str
    subnet_newbits: Any  # `cidrsubnet` newbits: subnets of `subnet_bits` host bits
    zones: Mapping[str, int] | Expr  # AZ name -> its block position; keys every per-AZ resource
    zone_list: str  # HCL: the AZ names in block order
    zone_count: int | Expr  # how many AZs the machines spread over
    # Edge zone name -> {type, public_cidr, private_cidr, public_subnet_id, private_subnet_id} (edge.py)
    edge_zones: Mapping[str, Mapping[str, Any]] | Expr
    nat_gateways: Flag
    network_acl: Flag
    restricted_network: Flag
    # Cluster infrastructure (02) and security (03).
    external: Flag  # publish: External
    public_zone_id: str | Expr | None  # None: look the zone up by base_domain
    private_zone_id: str | Expr | None  # an existing private zone; None: the tier creates it
    private_zone_provider: Any  # the provider configuration that writes its records; None: the default one
    iam_profile: IamProfile | Expr
    openshift_version: str | Expr  # the release the infrastructure is for (configuration/releases.py)
    iam_permissions_boundary: str | Expr | None  # on every role the tiers create
    iam_path: str | Expr | None  # of every role and profile the tiers create; None: "/"
    # Machines (04-06).
    rhcos_ami: str
    ignition_ca: str
    bootstrap: MachinePool
    control_plane: MachinePool
    compute: MachinePool
    worker_replicas: int | Expr
    master_ignition_url: str
    worker_ignition_url: str
    bootstrap_ssh_cidr: str
    bootstrap_public: Flag  # in a public subnet, with a public IP
    bootstrap_ignition_file: str | None  # a local bootstrap.ign, which the tier uploads to its bucket
    bootstrap_ignition_kms_key_arn: str | None  # that bucket's SSE-KMS key; None: SSE-S3
    bootstrap_ignition_url: str | None  # else: where the bootstrap machine fetches bootstrap.ign
    api_target_groups: Sequence[str] | Expr  # the target groups the machine tiers register in
    # Short-term credentials (STS).
    credentials: CredentialsInputs | None  # None: no credentials tier
    ingress: IngressInputs | None  # None: no ingress tier
    # State.
    state_bucket: str
    state_region: str
    lock_table: str | Expr | None
    state_kms_key_arn: str | Expr | None  # SSE-KMS key of the state bucket; None: SSE-S3
    state_key_prefix: str | None  # where each tier keeps <tier>/terraform.tfstate; None: the caller's choice

    def upstream(self, tier: Tier, output: str) -> Expr:
        """HCL address of another tier's output (no `${}`)."""


class InputSource(Protocol):
    """How a tier stack is made: its name, and the inputs it is built from."""

    def stack_name(self, tier: Tier) -> str: ...

    def bind(self, stack: Construct, tier: Tier) -> TierInputs: ...


class FromConfiguration:
    """Build a cluster's stack from its configuration (see `StackInputs`)."""

    def __init__(self, config: ClusterConfig):
        self.config = config

    def stack_name(self, tier: Tier) -> str:
        return stack_name(self.config.cluster_name, tier)

    def bind(self, stack: Construct, tier: Tier) -> "StackInputs":
        return StackInputs(stack, tier, self.config)


class StackInputs:
    """`TierInputs` of a cluster's stack: the configuration's values; other tiers through their remote state.

    Binding also configures the stack's provider (region, default tags, endpoints)
    and backend: local state for the state tier (the bucket cannot hold the state
    of the stack that creates it), the S3 bucket with lock files for every other."""

    def __init__(self, stack: Construct, tier: Tier, config: ClusterConfig):
        if tier in config.waiting:  # ClusterConfig.tiers leaves it out: building it anyway is a bug
            raise ValueError(f"{tier.value} waits for the Ignition configs; it cannot be built yet")
        self._stack, self._config = stack, config
        self._remote: dict[Tier, str] = {}  # tier -> its data source's Terraform name
        c = config
        self.cluster_name, self.infra_id, self.base_domain = c.cluster_name, c.infra_id, c.base_domain
        self.cluster_domain, self.region, self.partition = c.cluster_domain, c.region, c.partition
        self.vpc_cidr, self.subnet_newbits = c.vpc_cidr, c.subnet_newbits
        self.existing_vpc = None if c.existing_vpc is None else ExistingVpcInputs(
            c.existing_vpc.vpc_id,
            {az: s.private for az, s in c.existing_vpc.subnets.items()},
            {az: s.public for az, s in c.existing_vpc.subnets.items() if s.public is not None},
            c.existing_vpc.s3_endpoint, c.existing_vpc.role_tags)
        self.zones = {az: i for i, az in enumerate(c.availability_zones)}
        self.zone_list = json.dumps(list(c.availability_zones))
        self.zone_count = len(c.availability_zones)
        self.edge_zones = {zone.name: zone.network for zone in c.edge_zones}
        self.nat_gateways, self.network_acl, self.restricted_network = \
            c.nat_gateways, c.network_acl, c.restricted_network
        self.external, self.public_zone_id, self.iam_profile = c.external, c.public_zone_id, c.iam_profile
        self.private_zone_id, self.openshift_version = c.private_zone_id, c.openshift_version
        self.iam_permissions_boundary, self.iam_path = c.iam_permissions_boundary, c.iam_path
        self.rhcos_ami, self.ignition_ca = c.rhcos_ami, c.ignition_ca
        self.bootstrap, self.control_plane, self.compute = c.bootstrap, c.control_plane, c.compute
        self.worker_replicas = c.compute.replicas
        self.master_ignition_url, self.worker_ignition_url = c.master_ignition_url, c.worker_ignition_url
        self.bootstrap_ssh_cidr, self.bootstrap_public = c.bootstrap_ssh_cidr, c.bootstrap_public
        self.bootstrap_ignition_kms_key_arn = c.bootstrap.ignition_kms_key_arn
        local = c.bootstrap.ignition_is_local
        self.bootstrap_ignition_file = c.bootstrap.ignition if local else None
        self.bootstrap_ignition_url = None if local else c.bootstrap.ignition
        self.api_target_groups = list(api_targets(c.external))
        self.state_bucket, self.state_region = c.resolved_state_bucket, c.resolved_state_region
        self.lock_table, self.state_kms_key_arn = c.state.dynamodb_table, c.state.kms_key_arn
        self.credentials = None if c.credentials is None else CredentialsInputs(
            {r.key: {"role_name": r.role_name(c.infra_id), "subjects": r.subjects(), "policy": r.policy_document()}
             for r in c.credentials.requests},
            c.credentials.jwks(), c.credentials.issuer_hosting is IssuerHosting.CLOUDFRONT)
        self.ingress = None if c.ingress is None else IngressInputs(c.ingress.service, c.ingress.load_balancer)
        self.state_key_prefix = f"{c.state.key_prefix}/{c.cluster_name}"
        self._configure_provider(self.state_region if tier is Tier.STATE else c.region)
        # Records in another account's zone: through a role of that account (the tiers that write records).
        self.private_zone_provider = None if tier not in RECORD_TIERS or c.private_zone_role_arn is None \
            else self._configure_provider(c.region, alias=ZONE_PROVIDER_ALIAS, role_arn=c.private_zone_role_arn)
        if tier is Tier.STATE:
            # A path relative to the stack folder keeps build-machine paths out of the output.
            LocalBackend(stack, path="terraform.tfstate")
        else:
            backend = S3Backend(stack, **self._backend_options(tier))
            # Terraform >= 1.10 locks with a lock object next to the state; cdktf 0.21
            # predates the option, so it goes in as an override.
            backend.add_override("use_lockfile", True)

    def upstream(self, tier: Tier, output: str) -> Expr:
        if tier not in self._remote:
            options = self._backend_options(tier)
            # Reading state takes no lock: the (deprecated) lock table has no business here.
            options.pop("dynamodb_table", None)
            options.pop("kms_key_id", None)  # S3 decrypts for a reader the key policy allows
            remote = DataTerraformRemoteStateS3(self._stack, tier.value.replace("-", "_"), **options)
            self._remote[tier] = remote.friendly_unique_id  # read from jsii once
        return Expr(f"data.terraform_remote_state.{self._remote[tier]}.outputs.{output}")

    def _configure_provider(self, region: str, *, alias: str | None = None,
                            role_arn: str | None = None) -> AwsProvider:
        c = self._config
        options: dict[str, Any] = {"region": region}
        if alias is not None:
            options["alias"] = alias
        if role_arn is not None:
            options["assume_role"] = [AwsProviderAssumeRole(role_arn=role_arn,
                                                            session_name=f"{c.infra_id}-{Tier.CLUSTER_INFRA.value}")]
        if c.tags:
            options["default_tags"] = [AwsProviderDefaultTags(
                tags={terraform_literal(key): terraform_literal(value) for key, value in c.tags.items()})]
        if c.aws_endpoints:
            options["endpoints"] = [AwsProviderEndpoints(**c.aws_endpoints)]
            # A custom S3 endpoint is an IP or a single host name: bucket names
            # cannot be prepended to it as virtual-hosted-style requests need.
            options["s3_use_path_style"] = "s3" in c.aws_endpoints
        return AwsProvider(self._stack, "aws" if alias is None else f"aws_{alias}", **options)

    def _backend_options(self, tier: Tier) -> dict[str, Any]:
        """S3 backend settings of `tier`'s state object (shared by backend and remote state)."""
        c = self._config
        options: dict[str, Any] = {"bucket": c.resolved_state_bucket, "key": c.state_key(tier),
                                   "region": c.resolved_state_region, "encrypt": True}
        if c.state.dynamodb_table:
            options["dynamodb_table"] = c.state.dynamodb_table
        if c.state.kms_key_arn:
            options["kms_key_id"] = c.state.kms_key_arn
        endpoints = {k: v for k, v in c.aws_endpoints.items() if k in BACKEND_SERVICES}
        if endpoints:
            options["endpoints"] = S3BackendEndpointConfig(**endpoints)
            options["use_path_style"] = "s3" in endpoints
        return options

