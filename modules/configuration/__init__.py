"""Configuration: the cluster's typed settings, how they are loaded and checked, and the tier vocabulary.

The bottom layer of the project: it imports neither cdktf nor the AWS bindings,
nor any other layer (constructs, tiers, operations), so every tool can load a
configuration and reason about tiers and stacks cheaply.
"""
from .cluster import ClusterConfig, StateConfig
from .limits import IamProfile, Publish
from .loading import CONFIG_ENV, EXAMPLE, ConfigError, load_configs, parse_config, parse_configs
from .topology import Tier

__all__ = ["CONFIG_ENV", "EXAMPLE", "ClusterConfig", "ConfigError", "IamProfile", "Publish", "StateConfig", "Tier",
           "load_configs", "parse_config", "parse_configs"]
