"""Tiers: one stack class per infrastructure tier, built from the inputs contract (inputs.py).

`STACKS` is the catalog synthesis and export build from; the vocabulary (names,
order, dependencies) is configuration/topology.py, which needs no bindings.
"""
from __future__ import annotations

from typing import Mapping

from ..configuration.topology import Tier
from .base import TierStack
from .bootstrap import BootstrapStack
from .cluster_infra import ClusterInfraStack
from .compute import ComputeStack
from .control_plane import ControlPlaneStack
from .credentials import CredentialsStack
from .ingress import IngressStack
from .network import NetworkStack
from .security import SecurityStack
from .state import StateStack

STACKS: Mapping[Tier, type[TierStack]] = {stack.tier: stack for stack in (
    StateStack, NetworkStack, ClusterInfraStack, SecurityStack, CredentialsStack, BootstrapStack, ControlPlaneStack,
    ComputeStack, IngressStack)}
