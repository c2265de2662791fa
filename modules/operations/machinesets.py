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

Every file is rendered before the first is written, and each is written whole.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml

from ..configuration.cluster import ClusterConfig
from ..configuration.releases import lb_group_name, subnet_name, worker_group_tag
from ..configuration.topology import Tier, stack_name
from .cluster_resources import aws_errors, output
from .deploy import DeployError
from .files import write_files

OPENSHIFT_DIR = "openshift"  # the installer's folder of manifests it applies as they are
API_VERSION = "machine.openshift.io/v1beta1"
NAMESPACE = "openshift-machine-api"
CLUSTER_LABEL = "machine.openshift.io/cluster-api-cluster"
MACHINESET_LABEL = "machine.openshift.io/cluster-api-machineset"
ROLE = "worker"
CREDENTIALS_SECRET = "aws-cloud-credentials"  # machines.go: the machine API's own credentials
USER_DATA_SECRET = "worker-user-data"  # the installer's worker Ignition pointer, in openshift-machine-api


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
    name = f"{config.infra_id}-{ROLE}-{zone}"
    selector = {CLUSTER_LABEL: config.infra_id, MACHINESET_LABEL: name}
    return {
        "apiVersion": API_VERSION, "kind": "MachineSet",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {CLUSTER_LABEL: config.infra_id}},
        "spec": {
            "replicas": config.compute.machineset_replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": {**selector, "machine.openshift.io/cluster-api-machine-role": ROLE,
                                        "machine.openshift.io/cluster-api-machine-type": ROLE}},
                "spec": {"metadata": {}, "providerSpec": {"value": provider_spec(config, zone, subnet_id, profile)}},
            },
        },
    }


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
    return {file_name(index): yaml.safe_dump(machineset(config, zone, subnet if handed else None, profile),
                                             sort_keys=True, default_flow_style=False)
            for index, (zone, subnet) in enumerate(zip(config.availability_zones, subnets))}


def machinesets(config: ClusterConfig, outdir: Path, folder: Path, env: dict[str, str] | None = None, *,
                log: Callable[[str], None] = print) -> list[Path]:
    """Render every MachineSet from the applied state, then write them into `folder/openshift/`; and
    remove the installer's worker MachineSets there that these do not replace (the installer writes one
    per AZ of its compute pool, by default every AZ of the region: the extra ones filter on subnets
    this cluster does not have, and would never make a machine)."""
    from .teardown import ClusterRemoval  # reads every tier's state as Terraform keeps it

    with aws_errors():
        states = ClusterRemoval(config, outdir, env).states()
    files = render(config, states)
    target = folder / OPENSHIFT_DIR
    written = write_files(target, files)
    for stale in sorted(target.glob(file_name("*"))):
        if stale.name not in files:
            stale.unlink()
            log(f"removed {stale}: a worker MachineSet for an AZ the cluster does not use")
    return written
