"""The one place that imports the cdktf core library.

cdktf is archived upstream and its community fork (CDK Terrain) renames the
package; keeping every core import here makes that switch a one-file rename.
Provider bindings (`cdktf_cdktf_provider_aws`) are imported where they are used.
"""
# The environment the kernel needs is set by the package (`modules/__init__.py`).
from cdktf import (
    App,
    AssetType,
    DataTerraformRemoteStateS3,
    Fn,
    LocalBackend,
    Op,
    Postcondition,
    Precondition,
    S3Backend,
    S3BackendEndpointConfig,
    TerraformAsset,
    TerraformDataSource,
    TerraformIterator,
    TerraformLocal,
    TerraformOutput,
    TerraformResource,
    TerraformResourceLifecycle,
    TerraformStack,
    TerraformVariable,
    Testing,
    Token,
)
from constructs import Construct


def element_layout(stack: TerraformStack) -> tuple[frozenset[tuple[str, ...]], tuple[tuple[str, str, str], ...]]:
    """How `stack`'s resources and data sources are written in HCL: where they hold nested
    blocks, as ("resource", "aws_instance", "root_block_device"), ("data", "aws_route_table",
    "filter"), ..., and their (kind, type, name) in construct order (the order the tier
    code creates them in, which reads better than the JSON's alphabetical one).

    The JSON syntax does not say whether `{...}` is a block or a map; the bindings do
    (the provider schema, generated into them), in each element's HCL rendering."""
    found: set[tuple[str, ...]] = set()
    order: list[tuple[str, str, str]] = []

    def walk(attributes: object, path: tuple[str, ...]) -> None:
        if isinstance(attributes, list):
            for item in attributes:
                walk(item, path)
        elif isinstance(attributes, dict):
            for name, meta in attributes.items():
                if isinstance(meta, dict) and meta.get("isBlock"):
                    found.add(path + (name,))
                    walk(meta.get("value"), path + (name,))

    for element in stack.node.find_all():
        if isinstance(element, (TerraformResource, TerraformDataSource)):
            for kind, by_type in element.to_hcl_terraform().items():
                for type_name, by_name in by_type.items():
                    for name, attributes in by_name.items():
                        order.append((kind, type_name, name))
                        walk(attributes, (kind, type_name))
    return frozenset(found), tuple(order)

__all__ = [
    "App",
    "AssetType",
    "Construct",
    "DataTerraformRemoteStateS3",
    "Fn",
    "LocalBackend",
    "element_layout",
    "Op",
    "Postcondition",
    "Precondition",
    "S3Backend",
    "S3BackendEndpointConfig",
    "TerraformAsset",
    "TerraformDataSource",
    "TerraformIterator",
    "TerraformLocal",
    "TerraformOutput",
    "TerraformResource",
    "TerraformResourceLifecycle",
    "TerraformStack",
    "TerraformVariable",
    "Testing",
    "Token",
]
