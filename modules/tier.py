"""What every tier stack shares: naming, provider, backend, and reading other tiers.

Each tier is its own `TerraformStack` named `<cluster_name>-<tier>`, with its own
state object in the S3 bucket of the `state` tier (which itself keeps local state).
Tiers read each other's outputs through explicit `terraform_remote_state` data
sources, exactly as a hand-written Terraform repository would, so a consumer can
copy the pattern (see README, "How the tiers connect").
"""
from __future__ import annotations

import re
from enum import Enum
from typing import Any, Mapping, TypeVar

from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags, AwsProviderEndpoints

from .cdk import (
    Construct,
    DataTerraformRemoteStateS3,
    LocalBackend,
    S3Backend,
    S3BackendEndpointConfig,
    TerraformDataSource,
    TerraformOutput,
    TerraformResource,
    TerraformStack,
    Token,
)
from .config import ClusterConfig


class Tier(str, Enum):
    """The infrastructure tiers, in the order they are applied."""

    STATE = "state"
    NETWORK = "network"
    CLUSTER_INFRA = "cluster-infra"
    SECURITY = "security"
    BOOTSTRAP = "bootstrap"
    CONTROL_PLANE = "control-plane"
    COMPUTE = "compute"


# Keys of the S3 backend's `endpoints` block, by the configuration's service name.
_BACKEND_ENDPOINTS = {"s3": "s3", "dynamodb": "dynamodb", "iam": "iam", "sts": "sts"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
T = TypeVar("T", bound="TerraformResource | TerraformDataSource")


def stack_name(config: ClusterConfig, tier: Tier) -> str:
    return f"{config.cluster_name}-{tier.value}"


class TierStack(TerraformStack):
    """A stack for one tier of one cluster, or (without a configuration) the tier as a module.

    Subclasses build their tier's constructs from `self.config`, read other tiers
    with `read()`/`remote_output()`, then call `finish()`. As a module
    (`config=None`), `self.config` answers with variables (`ModuleConfig`), other
    tiers' outputs are variables too, and there is no provider or backend: the
    caller's provider configuration applies.
    """

    def __init__(self, scope: Construct, config: ClusterConfig | None, tier: Tier, *, region: str | None = None):
        super().__init__(scope, stack_name(config, tier) if config else tier.value)
        self.tier = tier
        self._remote: dict[Tier, DataTerraformRemoteStateS3] = {}
        self._remote_names: dict[Tier, str] = {}  # their Terraform names, read from jsii once
        if config is None:
            from .variables import ModuleConfig
            self.config: Any = ModuleConfig(self)
            # Only for cdktf's checks: the export drops the block (the caller configures the provider).
            AwsProvider(self, "aws")
            return
        self.config = config
        self._configure_provider(region or config.region)
        if tier is Tier.STATE:
            # The bucket cannot hold the state of the stack that creates it. A path
            # relative to the stack folder keeps build-machine paths out of the output.
            LocalBackend(self, path="terraform.tfstate")
        else:
            self._configure_s3_backend()

    def finish(self) -> None:
        """Check the stack once its tier is built (see `new`)."""
        check_names(self)

    # ------------------------------------------------------------------ provider, backend

    def _configure_provider(self, region: str) -> None:
        c = self.config
        options: dict[str, Any] = {"region": region}
        if c.tags:
            options["default_tags"] = [AwsProviderDefaultTags(
                tags={terraform_literal(key): terraform_literal(value) for key, value in c.tags.items()})]
        if c.aws_endpoints:
            options["endpoints"] = [AwsProviderEndpoints(**c.aws_endpoints)]
            # A custom S3 endpoint is an IP or a single host name: bucket names
            # cannot be prepended to it as virtual-hosted-style requests need.
            options["s3_use_path_style"] = "s3" in c.aws_endpoints
        AwsProvider(self, "aws", **options)

    def backend_options(self, tier: Tier) -> dict[str, Any]:
        """S3 backend settings of `tier`'s state object (shared by backend and remote state)."""
        c = self.config
        options: dict[str, Any] = {
            "bucket": c.resolved_state_bucket,
            "key": c.state_key(tier.value),
            "region": c.resolved_state_region,
            "encrypt": True,
        }
        if c.state.dynamodb_table:
            options["dynamodb_table"] = c.state.dynamodb_table
        endpoints = {_BACKEND_ENDPOINTS[k]: v for k, v in c.aws_endpoints.items() if k in _BACKEND_ENDPOINTS}
        if endpoints:
            options["endpoints"] = S3BackendEndpointConfig(**endpoints)
            options["use_path_style"] = "s3" in endpoints
        return options

    def _configure_s3_backend(self) -> None:
        backend = S3Backend(self, **self.backend_options(self.tier))
        # Terraform >= 1.10 locks with a lock object next to the state; cdktf 0.21
        # predates the option, so it goes in as an override.
        backend.add_override("use_lockfile", True)

    # ------------------------------------------------------------------ other tiers, outputs

    def remote_tier(self, tier: Tier) -> DataTerraformRemoteStateS3:
        """The outputs of another tier of the same cluster (one data source per tier)."""
        if tier not in self._remote:
            options = self.backend_options(tier)
            # Reading state takes no lock: the (deprecated) lock table has no business here.
            options.pop("dynamodb_table", None)
            self._remote[tier] = DataTerraformRemoteStateS3(self, tier.value.replace("-", "_"), **options)
            self._remote_names[tier] = self._remote[tier].friendly_unique_id
        return self._remote[tier]

    def remote_output(self, tier: Tier, output: str) -> str:
        """HCL address of another tier's output, for hand-written expressions (no `${}`).

        In a module, the output is an input variable of the same name."""
        if self.config.module:
            return self.config.ref(output)
        self.remote_tier(tier)
        return f"data.terraform_remote_state.{self._remote_names[tier]}.outputs.{output}"

    def read(self, tier: Tier, output: str) -> Any:
        """Another tier's output as a token (a string, or a list for `*_ids`)."""
        expression = f"${{{self.remote_output(tier, output)}}}"
        return Token.as_list(expression) if output.endswith("_ids") else Token.as_string(expression)

    def outputs(self, values: Mapping[str, tuple[Any, str]]) -> None:
        """Declare outputs from a `name -> (value, description)` table."""
        for name, (value, description) in values.items():
            TerraformOutput(self, name, value=value, description=description)


def terraform_literal(text: str) -> str:
    """`text` as Terraform reads it literally from JSON: `${` and `%{` would start an expression or
    a directive, so they are written `$${` and `%%{`. For free text from the user (tags) that
    reaches Terraform as a plain string, never through an `Fn.*` argument, which cdktf escapes
    itself: escaping both ways would double it."""
    return text.replace("${", "$${").replace("%{", "%%{")


def new(cls: type[T], scope: Construct, construct_id: str, **config: Any) -> T:
    """Create a resource or data source whose Terraform name is its construct ID.

    The name is the ID, or its part after the last "." when one scope holds two
    resources of the same name (`"association.public"` names
    `aws_route_table_association.public`). Plans and state addresses then read
    like hand-written Terraform (`aws_subnet.public["us-east-1a"]`, never
    `aws_subnet.network_public_1A2B3C4D`) and never change when constructs move.
    The name must be set before anything refers to the resource: cdktf fixes a
    reference's text when it is made.
    """
    name = construct_id.rsplit(".", 1)[-1]
    if not _IDENTIFIER.match(name):
        raise ValueError(f"construct id {construct_id!r} does not end in a valid Terraform name")
    element = cls(scope, construct_id, **config)
    element.override_logical_id(name)
    # Kept on the Python object: check_names reads it back without a round trip to jsii,
    # which answers each property read over a pipe (~0.3 ms, hundreds of them per synthesis).
    element._terraform_name = name
    return element


def check_names(scope: Construct) -> None:
    """Every resource below `scope` was made by `new()`, and no two share an address."""
    seen: dict[tuple[str, str], Any] = {}
    for node in scope.node.find_all():
        if not isinstance(node, (TerraformResource, TerraformDataSource)):
            continue
        name = getattr(node, "_terraform_name", None)
        if name is None:
            raise ValueError(f"{node.node.path} was not created with new(): its name is {node.friendly_unique_id}")
        key = (type(node).__name__, name)
        if key in seen:
            raise ValueError(f"{node.terraform_resource_type}.{name} is declared twice "
                             f"({seen[key].node.path} and {node.node.path})")
        seen[key] = node


def terraform_name(element: Construct) -> str:
    return getattr(element, "_terraform_name", None) or element.node.id.rsplit(".", 1)[-1]


def address(resource: TerraformResource | TerraformDataSource) -> str:
    """`<type>.<name>`: the resource's address, for hand-written expressions."""
    prefix = "data." if isinstance(resource, TerraformDataSource) else ""
    return f"{prefix}{resource.terraform_resource_type}.{terraform_name(resource)}"


def each_ref(resource: TerraformResource, attribute: str) -> str:
    """`attribute` of the instance of a `for_each` resource that has the current `each.key`.

    cdktf renders `resource.id` of a `for_each` resource without an instance key;
    this reaches the instance for the same key (the same AZ, say).
    """
    return f"${{{address(resource)}[each.key].{attribute}}}"
