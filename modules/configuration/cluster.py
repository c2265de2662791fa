"""The cluster configuration: one frozen, typed object (see `loading` for how it is read and checked).

Keys whose value is `None` are *derived* from other keys (see the `resolved_*`
properties); `python main.py config` prints them as `null` for that reason.
"""
from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from .edge import EdgeZone
from .ignition import machine_config_url
from .limits import IamProfile, Publish
from .machines import BootstrapConfig, ComputeConfig, ControlPlaneConfig
from .regions import Partition, partition_of
from .releases import DEFAULT_RELEASE, RELEASES, Release
from .sts import Credentials
from .topology import MACHINE_POOLS, Tier

# The reference template carves six equal blocks (three public, three private)
# out of the VPC, whatever the AZ count, so the private block of AZ i is 3 + i.
PRIVATE_BLOCK_OFFSET = 3
CARVED_BLOCKS = 2 * PRIVATE_BLOCK_OFFSET  # edge zones' subnets take the blocks after these (edge.py)


@dataclass(frozen=True)
class StateConfig:
    """Where the tiers keep their Terraform state (the `state` tier creates it)."""

    bucket: str | None = None  # derived: "<infra_id>-tfstate"
    region: str | None = None  # derived: the cluster's region
    key_prefix: str = "ocp-upi-tf"
    dynamodb_table: str | None = None  # optional legacy lock table; S3 lock files are always used
    kms_key_arn: str | None = None  # SSE-KMS with this key for the bucket and every state object; None: SSE-S3


@dataclass(frozen=True)
class ExistingSubnets:
    """The subnets of one AZ in an existing VPC."""

    private: str
    public: str | None = None  # optional when publish is Internal and the bootstrap machine is private


@dataclass(frozen=True)
class ExistingVpc:
    """A VPC the cluster is installed into and does not own (the network team's): the network tier
    then creates nothing in it but the cluster's tags on its subnets."""

    vpc_id: str
    subnets: Mapping[str, ExistingSubnets]  # AZ name -> its subnets, for every AZ of the cluster
    s3_endpoint: bool = False  # add the S3 gateway endpoint to the subnets' route tables
    role_tags: bool = True  # tag the subnets' load-balancer roles too (false: the network team does)


@dataclass(frozen=True)
class IngressConfig:
    """The `*.apps` records as code (the ingress tier): alias records in the private zone and, when
    External, the public zone, to the load balancer of the router's Service once it exists."""

    # The router's Service, as the cloud provider tags its load balancer (kubernetes.io/service-name).
    service: str = "openshift-ingress/router-default"
    load_balancer: str | None = None  # a load balancer of the cluster named instead (kubernetes.io/cluster tag)


@dataclass(frozen=True)
class ClusterConfig:
    cluster_name: str
    infra_id: str
    base_domain: str
    region: str
    availability_zones: tuple[str, ...]
    rhcos_ami: str
    # The cluster CA, as master.ign carries it (a data URL); None only before `openshift-install create
    # ignition-configs`, when the machine tiers wait (`tiers`).
    ignition_ca: str | None = None
    vpc_cidr: str = "10.0.0.0/16"
    subnet_bits: int = 12
    publish: Publish = Publish.EXTERNAL
    iam_profile: IamProfile = IamProfile.LEAST_PRIVILEGE
    openshift_version: str = DEFAULT_RELEASE  # the release the infrastructure is for (releases.RELEASES)
    network_acl: bool = False
    restricted_network: bool = False
    nat_gateways: bool = True
    public_zone_id: str | None = None  # derived: looked up by base_domain at plan time
    existing_vpc: ExistingVpc | None = None  # None: the network tier creates the VPC
    edge_zones: tuple[EdgeZone, ...] = ()  # Local Zones and Wavelength Zones for edge compute (edge.py)
    private_zone_id: str | None = None  # an existing private zone; None: cluster-infra creates it
    private_zone_role_arn: str | None = None  # the zone's records are written through this role (another account)
    iam_permissions_boundary: str | None = None  # on every role the project creates
    iam_path: str | None = None  # of every role and instance profile the project creates; None: "/"
    credentials: Credentials | None = None  # the credentials tier (STS); None: no such tier
    ingress: IngressConfig | None = None  # the ingress tier (`*.apps` records); None: no such tier
    tags: Mapping[str, str] = field(default_factory=dict)
    state: StateConfig = field(default_factory=StateConfig)
    aws_endpoints: Mapping[str, str] = field(default_factory=dict)
    openshift_install_dir: str | None = None
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    control_plane: ControlPlaneConfig = field(default_factory=ControlPlaneConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    # Keys filled in from openshift_install_dir (printed as null: they follow the folder).
    from_install_dir: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @property
    def partition(self) -> Partition:
        return partition_of(self.region)

    @property
    def release(self) -> Release:
        return RELEASES[self.openshift_version]

    @property
    def external(self) -> bool:
        return self.publish is Publish.EXTERNAL

    @property
    def cluster_domain(self) -> str:
        return f"{self.cluster_name}.{self.base_domain}"

    @property
    def resolved_state_bucket(self) -> str:
        return self.state.bucket or f"{self.infra_id}-tfstate"

    @property
    def resolved_state_region(self) -> str:
        return self.state.region or self.region

    def state_key(self, tier: Tier) -> str:
        return f"{self.state.key_prefix}/{self.cluster_name}/{tier.value}/terraform.tfstate"

    @property
    def master_ignition_url(self) -> str:
        return self.control_plane.ignition_url or machine_config_url(self.cluster_domain, "master")

    @property
    def worker_ignition_url(self) -> str:
        return self.compute.ignition_url or machine_config_url(self.cluster_domain, "worker")

    @property
    def tiers(self) -> tuple[Tier, ...]:
        """The cluster's tiers, in apply order: every one, the credentials and ingress tiers only when configured,
        the machine tiers once the Ignition configs are there."""
        optional = {Tier.CREDENTIALS: self.credentials, Tier.INGRESS: self.ingress}
        return tuple(t for t in Tier if (t not in optional or optional[t] is not None) and t not in self.waiting)

    @property
    def waiting(self) -> tuple[Tier, ...]:
        """The machine tiers, while the Ignition configs they boot from are not made yet (openshift_install_dir
        before `openshift-install create ignition-configs`); else none."""
        ready = self.ignition_ca is not None and self.bootstrap.ignition is not None
        return () if ready else tuple(MACHINE_POOLS)

    @property
    def oidc_bucket(self) -> str:
        """The bucket the OIDC issuer's documents are in: ccoctl's `<name>-oidc`."""
        return f"{self.infra_id}-oidc"

    @property
    def bootstrap_public(self) -> bool:
        """Whether the bootstrap machine is in a public subnet with a public IP (derived from `publish`)."""
        return (self.bootstrap.subnet or ("public" if self.external else "private")) == "public"

    @property
    def bootstrap_ssh_cidr(self) -> str:
        return self.bootstrap.ssh_cidr or self.vpc_cidr

    @property
    def subnet_newbits(self) -> int:
        """`cidrsubnet` newbits that turn the VPC prefix into subnets of `subnet_bits` host bits."""
        return 32 - ipaddress.ip_network(self.vpc_cidr).prefixlen - self.subnet_bits

    def to_document(self) -> dict[str, Any]:
        """The configuration as a file would hold it; derived values stay `None`."""
        doc = asdict(self)
        del doc["from_install_dir"]
        doc["availability_zones"] = list(self.availability_zones)
        doc["edge_zones"] = [{**{k: v for k, v in zone.items() if k != "default_cidrs"}, "type": zone["type"].value}
                             for zone in doc["edge_zones"]]  # derived CIDRs print as null
        doc["publish"] = self.publish.value
        doc["iam_profile"] = self.iam_profile.value
        for pool in ("bootstrap", "control_plane", "compute"):
            doc[pool]["additional_security_group_ids"] = list(doc[pool]["additional_security_group_ids"])
        doc["credentials"] = None if self.credentials is None else self.credentials.to_document()
        for dotted in self.from_install_dir:
            *parents, key = dotted.split(".")
            target = doc
            for parent in parents:
                target = target[parent]
            target[key] = None
        return doc
