"""`main.py machinesets --out DIR`: worker MachineSets that resolve on this infrastructure.

After a UPI install, a cluster adds and autoscales workers with MachineSets. The
installer writes one per AZ (`openshift/99_openshift-cluster-api_worker-machineset-<n>.yaml`)
that finds its place by `tag:Name` filters, names that differ by release
(configuration/releases.py); the UPI docs delete them because the CloudFormation
infrastructure carries none of those names. This infrastructure carries them, so
the MachineSets here are the installer's for the configured release
(openshift/installer `pkg/asset/machines/aws/`: `machinesets.go` for the object,
`machines.go` `provider()` for its `AWSMachineProviderConfig`), filled in from
the applied tiers' state: the private subnet of each AZ (by ID in an existing
VPC, whose subnets keep the network team's names), the worker instance profile
(created or handed over), and the compute pool's image, type, root volume and
additional groups. Machines they make match the compute tier's: IMDSv2 only, an
encrypted root volume.

Edge zones (configuration/edge.py) get one MachineSet each, as the docs write them
by hand (openshift-docs `modules/machineset-yaml-aws.adoc`, its edge variant, and
the installer's edge pool in `machinesets.go`): `<infra_id>-edge-<zone>`, role
`edge`, the node labels of the zone's type, group and parent zone (as EC2
describes it: the network tier's `edge_zones` output), the taint
`node-role.kubernetes.io/edge:NoSchedule` that keeps regular workloads off, the
zone's public subnet by ID with `publicIp: true` (a carrier IP in a Wavelength
Zone), and the instance and volume types the zone offers. Their files continue
the workers' numbering, as the installer numbers every compute pool's. With edge
zones the cluster network's MTU must be lowered before the install (the link
between a zone and its region carries less than the region's 9001): the installer
writes `manifests/cluster-network-03-config.yml` with OVN-Kubernetes' MTU 1200
(`pkg/asset/manifests/network.go`), and so does this (into the file already there, if
any, setting only that key).

Every file is rendered before the first is written, and each is written whole.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml

from ..configuration.cluster import ClusterConfig
from ..configuration.edge import EdgeZone
from ..configuration.releases import lb_group_name, subnet_name, worker_group_tag
from ..configuration.topology import Tier, stack_name
from .cluster_resources import aws_errors, output
from .deploy import DeployError
from .files import write_files

OPENSHIFT_DIR = "openshift"  # the installer's folder of manifests it applies as they are
MANIFESTS_DIR = "manifests"  # the installer's folder of manifests it merges with its own
API_VERSION = "machine.openshift.io/v1beta1"
NAMESPACE = "openshift-machine-api"
CLUSTER_LABEL = "machine.openshift.io/cluster-api-cluster"
MACHINESET_LABEL = "machine.openshift.io/cluster-api-machineset"
ROLE = "worker"
CREDENTIALS_SECRET = "aws-cloud-credentials"  # machines.go: the machine API's own credentials
USER_DATA_SECRET = "worker-user-data"  # the installer's worker Ignition pointer, in openshift-machine-api
EDGE_ROLE = "edge"
EDGE_TAINT = {"key": "node-role.kubernetes.io/edge", "effect": "NoSchedule"}
NETWORK_MANIFEST = "cluster-network-03-config.yml"
EDGE_MTU = 1200  # OVN-Kubernetes' MTU with edge zones: the zone-to-region path carries 1300, less its 100 overhead


def file_name(index: int) -> str:
    """The installer's name for the n-th worker MachineSet."""
    return f"99_openshift-cluster-api_worker-machineset-{index}.yaml"


def _name_filter(value: str) -> dict[str, Any]:
    return {"filters": [{"name": "tag:Name", "values": [value]}]}


def provider_spec(config: ClusterConfig, zone: str, subnet_id: str | None, profile: str) -> dict[str, Any]:
    """The `AWSMachineProviderConfig` of a worker in `zone`: the subnet by ID when `subnet_id` is
    given (an existing VPC), else by the `Name` tag the network tier gave it for this release."""
    release, infra_id, compute = config.release, config.infra_id, config.compute
    groups = [_name_filter(worker_group_tag(infra_id, release.names.worker_group))]
    if release.lb_group:
        groups.append(_name_filter(lb_group_name(infra_id)))  # both must resolve (releases.py)
    groups += [{"id": group} for group in compute.additional_security_group_ids]
    ebs: dict[str, Any] = {"encrypted": True, "volumeSize": compute.root_volume_size,
                           "volumeType": compute.root_volume_type}
    if compute.root_volume_kms_key_arn:
        ebs["kmsKey"] = {"arn": compute.root_volume_kms_key_arn}
    tags = [{"name": f"kubernetes.io/cluster/{infra_id}", "value": "owned"}]
    tags += [{"name": key, "value": value} for key, value in sorted(config.tags.items())]
    return {
        "apiVersion": API_VERSION, "kind": "AWSMachineProviderConfig",
        "ami": {"id": config.rhcos_ami},
        "instanceType": compute.instance_type,
        "blockDevices": [{"ebs": ebs}],
        "credentialsSecret": {"name": CREDENTIALS_SECRET},
        "userDataSecret": {"name": USER_DATA_SECRET},
        "deviceIndex": 0,
        "iamInstanceProfile": {"id": profile},
        # The compute tier's machines refuse IMDSv1 (constructs/machines.py); so do these.
        "metadataServiceOptions": {"authentication": "Required"},
        "placement": {"availabilityZone": zone, "region": config.region},
        "securityGroups": groups,
        "subnet": {"id": subnet_id} if subnet_id else _name_filter(
            subnet_name(infra_id, release.names.subnet_prefix, "private", zone)),
        "tags": tags,
    }


def machineset(config: ClusterConfig, zone: str, subnet_id: str | None, profile: str) -> dict[str, Any]:
    return _machineset(config, ROLE, zone, config.compute.machineset_replicas,
                       provider_spec(config, zone, subnet_id, profile), {})


def edge_machineset(config: ClusterConfig, zone: EdgeZone, described: dict[str, Any], profile: str) -> dict[str, Any]:
    """The MachineSet of an edge zone; `described`: the zone in the network tier's `edge_zones` output."""
    spec = provider_spec(config, zone.name, described["public_subnet_id"], profile)
    spec["instanceType"] = zone.resolved_instance_type
    spec["blockDevices"][0]["ebs"]["volumeType"] = zone.volume_type
    spec["publicIp"] = True
    labels = {"machine.openshift.io/parent-zone-name": described["parent_zone"],
              "machine.openshift.io/zone-group": described["group"],
              "machine.openshift.io/zone-type": described["type"], f"node-role.kubernetes.io/{EDGE_ROLE}": ""}
    return _machineset(config, EDGE_ROLE, zone.name, zone.replicas, spec, labels, [EDGE_TAINT])


def _machineset(config: ClusterConfig, role: str, zone: str, replicas: int, spec: dict[str, Any],
                node_labels: dict[str, str], taints: list[dict[str, str]] | None = None) -> dict[str, Any]:
    name = f"{config.infra_id}-{role}-{zone}"
    selector = {CLUSTER_LABEL: config.infra_id, MACHINESET_LABEL: name}
    template_spec: dict[str, Any] = {"metadata": {"labels": node_labels} if node_labels else {},
                                     "providerSpec": {"value": spec}}
    if taints:
        template_spec["taints"] = taints
    return {
        "apiVersion": API_VERSION, "kind": "MachineSet",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {CLUSTER_LABEL: config.infra_id}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": {**selector, "machine.openshift.io/cluster-api-machine-role": role,
                                        "machine.openshift.io/cluster-api-machine-type": role}},
                "spec": template_spec,
            },
        },
    }


def network_manifest(existing: str | None = None) -> str:
    """The cluster network operator's configuration with the MTU edge zones need: `existing` (the
    manifest already in the folder: the docs put IPsec, hybrid networking and more in the same file)
    with only `spec.defaultNetwork.ovnKubernetesConfig.mtu` set, or that alone. DeployError for a
    manifest that is not the operator's `cluster` Network or whose network is not OVN-Kubernetes."""
    document: Any = {"apiVersion": "operator.openshift.io/v1", "kind": "Network", "metadata": {"name": "cluster"}}
    if existing is not None:
        document = yaml.safe_load(existing)
        kind = (document.get("apiVersion"), document.get("kind"), (document.get("metadata") or {}).get("name")) \
            if isinstance(document, dict) else None
        if kind != ("operator.openshift.io/v1", "Network", "cluster"):
            raise DeployError(f"{MANIFESTS_DIR}/{NETWORK_MANIFEST} is not the cluster network operator's "
                              "configuration (operator.openshift.io/v1 Network cluster); edge zones need its MTU "
                              "set there. Nothing was written.")
    network = document.setdefault("spec", {}).setdefault("defaultNetwork", {})
    if network.get("type", "OVNKubernetes") != "OVNKubernetes":
        raise DeployError(f"{MANIFESTS_DIR}/{NETWORK_MANIFEST} sets defaultNetwork.type {network['type']!r}; edge "
                          f"zones are documented with OVN-Kubernetes, whose MTU is set to {EDGE_MTU}. Nothing was "
                          "written.")
    network.setdefault("ovnKubernetesConfig", {})["mtu"] = EDGE_MTU
    return yaml.safe_dump(document, sort_keys=True, default_flow_style=False)


def render(config: ClusterConfig, states: dict[Tier, dict[str, Any]]) -> dict[str, str]:
    """File name -> YAML, one worker MachineSet per AZ, from the network and security tiers' `states`;
    DeployError when they are not applied."""
    network, security = states.get(Tier.NETWORK), states.get(Tier.SECURITY)
    subnets, profile = output(network, "private_subnet_ids"), output(security, "worker_instance_profile_name")
    for tier, value, what in ((Tier.NETWORK, subnets, "private_subnet_ids"),
                              (Tier.SECURITY, profile, "worker_instance_profile_name")):
        if not value:
            raise DeployError(f"{stack_name(config.cluster_name, tier)} is not applied (its state has no {what}): "
                              f"run `main.py apply {tier.value}` first. Nothing was written.")
    if len(subnets) != len(config.availability_zones):
        raise DeployError(f"{stack_name(config.cluster_name, Tier.NETWORK)} has {len(subnets)} private subnets for "
                          f"{len(config.availability_zones)} availability zones: apply the network tier first. "
                          "Nothing was written.")
    handed = config.existing_vpc is not None  # the network team's subnets keep their names: by ID
    documents = [machineset(config, zone, subnet if handed else None, profile)
                 for zone, subnet in zip(config.availability_zones, subnets)]
    described = output(network, "edge_zones") or {}
    missing = [zone.name for zone in config.edge_zones if zone.name not in described]
    if missing:
        raise DeployError(f"{stack_name(config.cluster_name, Tier.NETWORK)} has no subnets in edge zone(s) "
                          f"{', '.join(missing)}: apply the network tier first. Nothing was written.")
    documents += [edge_machineset(config, zone, described[zone.name], profile) for zone in config.edge_zones]
    return {file_name(index): yaml.safe_dump(document, sort_keys=True, default_flow_style=False)
            for index, document in enumerate(documents)}


def machinesets(config: ClusterConfig, outdir: Path, folder: Path, env: dict[str, str] | None = None, *,
                log: Callable[[str], None] = print) -> list[Path]:
    """Render every MachineSet from the applied state, then write them into `folder/openshift/`; and
    remove the installer's worker MachineSets there that these do not replace (the installer writes one
    per AZ of its compute pool, by default every AZ of the region: the extra ones filter on subnets
    this cluster does not have, and would never make a machine). With edge zones, also the network
    MTU into `folder/manifests/` (`network_manifest`)."""
    from .teardown import ClusterRemoval  # reads every tier's state as Terraform keeps it

    with aws_errors():
        states = ClusterRemoval(config, outdir, env).states()
    files = render(config, states)
    target, manifests = folder / OPENSHIFT_DIR, folder / MANIFESTS_DIR
    mtu = manifests / NETWORK_MANIFEST
    network = network_manifest(mtu.read_text() if mtu.exists() else None) if config.edge_zones else None
    written = write_files(target, files)
    for stale in sorted(target.glob(file_name("*"))):
        if stale.name not in files:
            stale.unlink()
            log(f"removed {stale}: a MachineSet for a zone the cluster does not use")
    if network is not None:
        written += write_files(manifests, {NETWORK_MANIFEST: network})
    elif mtu.exists() and mtu.read_text() == network_manifest():  # ours alone, from when the cluster had edge zones
        mtu.unlink()
        log(f"removed {mtu}: the cluster has no edge zones, and the region's MTU is the cluster network's")
    return written
