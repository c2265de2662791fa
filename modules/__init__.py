"""ocp-upi-tf: the AWS infrastructure of an OpenShift 4 UPI cluster, as cdktf constructs.

Four layers, each importing only from the ones before it (docs/contributing/layout.md):
`configuration` (the cluster's settings, limits and the tier vocabulary; no
cdktf), `constructs` (building blocks), `tiers` (one stack per tier) and
`operations` (synthesis, export, deploy, plan review, static checks).
"""
import os

__version__ = "0.11.0"  # CHANGELOG.md's latest entry

# Set before any submodule can start the jsii kernel (which reads them once, at
# start): a provider binding imported ahead of `cdk` would otherwise miss them.
# jsii warns on every start that Node 20 is past its end of life; the pinned
# toolchain is known to work with it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")
