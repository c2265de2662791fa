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

__all__ = [
    "App",
    "AssetType",
    "Construct",
    "DataTerraformRemoteStateS3",
    "Fn",
    "LocalBackend",
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
