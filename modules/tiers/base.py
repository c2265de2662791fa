"""What every tier stack shares: a name, its inputs, reading other tiers, declaring outputs.

Each tier is its own `TerraformStack`: for a cluster `<cluster_name>-<tier>`,
with its own state object in the S3 bucket of the `state` tier (which itself
keeps local state), or, built from variables, the tier as a reusable module.
Subclasses set `tier`, build their constructs from `self.inputs` (the contract
in inputs.py), read other tiers with `read()`/`upstream()`, and call `finish()`.
Tiers read each other's outputs through explicit `terraform_remote_state` data
sources, exactly as a hand-written Terraform repository would, so a consumer can
copy the pattern (see docs/concepts.md).
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

from ..configuration.releases import RELEASES
from ..configuration.topology import Tier
from ..constructs.cdk import Construct, TerraformOutput, TerraformStack, Token
from ..constructs.hcl import Expr, check_names, local_value
from .inputs import InputSource, TierInputs


def release_setting(scope: Construct, inputs: TierInputs, setting: str) -> Any:
    """A setting of the OpenShift release the tier is built for (configuration/releases.py, `settings()`):
    its value in a stack; in a module, `local.releases[var.openshift_version].<setting>` (an `Expr`)."""
    version = inputs.openshift_version
    if not isinstance(version, Expr):
        return RELEASES[version].settings()[setting]
    stack = TerraformStack.of(scope)
    if stack.node.try_find_child("releases") is None:
        local_value(stack, "releases", {v: release.settings() for v, release in RELEASES.items()})
    return Expr(f"local.releases[{version}].{setting}")


class TierStack(TerraformStack):
    tier: ClassVar[Tier]

    def __init__(self, scope: Construct, source: InputSource):
        super().__init__(scope, source.stack_name(self.tier))
        self.inputs: TierInputs = source.bind(self, self.tier)

    def finish(self) -> None:
        """Check the stack once its tier is built (see `hcl.new`)."""
        check_names(self)

    def upstream(self, tier: Tier, output: str) -> Expr:
        """HCL address of another tier's output, for hand-written expressions (no `${}`)."""
        return self.inputs.upstream(tier, output)

    def read(self, tier: Tier, output: str) -> Any:
        """Another tier's output as a token (a string, or a list for `*_ids`)."""
        expression = f"${{{self.upstream(tier, output)}}}"
        return Token.as_list(expression) if output.endswith("_ids") else Token.as_string(expression)

    def outputs(self, values: Mapping[str, tuple[Any, str] | None]) -> None:
        """Declare outputs from a `name -> (value, description)` table (None: the output does not exist)."""
        for name, output in values.items():
            if output is not None:
                TerraformOutput(self, name, value=output[0], description=output[1])
