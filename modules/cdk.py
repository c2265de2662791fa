"""The one place that imports the cdktf core library.

cdktf is archived upstream and its community fork (CDK Terrain) renames the
package; keeping every core import here makes that switch a one-file rename.
Provider bindings (`cdktf_cdktf_provider_aws`) are imported where they are used.
"""
import os

# jsii warns on every start that Node 20 is past its end of life; the pinned
# toolchain is known to work with it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")

from cdktf import (  # noqa: E402
    App,
    AssetType,
    DataTerraformRemoteStateS3,
    Fn,
    LocalBackend,
    Op,
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
from constructs import Construct  # noqa: E402

__all__ = [
    "App",
    "AssetType",
    "Construct",
    "DataTerraformRemoteStateS3",
    "Fn",
    "LocalBackend",
    "Op",
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
