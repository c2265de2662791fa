"""Every key of a configuration file: its kind, default, limit, meaning and docs page, in one table.

The loader reads each key through this table (`Reader.get`: the kind, the default and
the limit come from here), `main.py config-schema` renders it into the JSON Schemas
and the configuration reference (operations/reference.py), and every error names
the reference entry of its key. Limits are the shared table of `limits` (the modules'
validation blocks come from it too); defaults are the configuration classes' own.

Paths are dotted; `[]` stands for every entry of a list, `<az>` for every key of a
mapping keyed by availability zone.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from . import limits
from .cluster import ClusterConfig, ExistingVpc, IngressConfig, StateConfig
from .edge import DEFAULT_INSTANCE_TYPE, DEFAULT_REPLICAS, DEFAULT_VOLUME_TYPE
from .ignition import CA_DATA_PREFIX
from .limit_types import whole
from .limits import ENDPOINT_SERVICES, HTTPS_URL, Limit
from .machines import BootstrapConfig, ComputeConfig, ControlPlaneConfig, MachinePool
from .regions import REGIONS
from .reader import REQUIRED
from .sts import IssuerHosting

REFERENCE_PAGE = "docs/reference/configuration.md"
GUIDE_PAGE = "docs/configuration.md"  # files, fleets, null: what a problem of no one key is about
# What the JSON Schema calls each kind, and the Python types a parsed YAML/JSON value of it has.
KINDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "string": ("string", (str,)), "integer": ("integer", (int, float)), "boolean": ("boolean", (bool,)),
    "list": ("array", (list,)), "mapping": ("object", (dict,))}


@dataclass(frozen=True)
class Key:
    """One key. `accepted` ends the loader's "expected ..." message when there is no `limit` (whose
    own words are used); `beyond` is a rule the loader applies that the JSON Schema does not express."""

    path: str
    kind: str
    meaning: str
    default: Any = REQUIRED
    limit: Limit | None = None
    accepted: str = ""
    beyond: str = ""
    from_install_dir: bool = False  # filled from openshift_install_dir's files when the document leaves it out
    schema: dict[str, Any] = field(default_factory=dict, compare=False)  # what the limit cannot say, for the schema

    @property
    def types(self) -> tuple[type, ...]:
        return self.limit.types if self.limit is not None else KINDS[self.kind][1]

    @property
    def expected(self) -> str:
        return self.limit.accepted if self.limit is not None else self.accepted

    @property
    def anchor(self) -> str:
        """The id of the key's entry in the reference page."""
        return self.path.replace("[]", "").replace("<az>", "az")

    @property
    def page(self) -> str:
        return f"{REFERENCE_PAGE}#{self.anchor}"

    @property
    def parent(self) -> str:
        return self.path.rpartition(".")[0].removesuffix("[]")


# The cluster's own defaults, as the configuration class declares them.
_DEFAULTS = {field.name: field.default for field in dataclasses.fields(ClusterConfig)}


def _pool(name: str, defaults: MachinePool, role: str) -> list[Key]:
    return [
        Key(f"{name}", "mapping", f"settings of the {role}", {}, accepted="a mapping of machine settings"),
        Key(f"{name}.instance_type", "string", f"EC2 instance type of the {role}",
            defaults.instance_type, limits.INSTANCE_TYPE),
        Key(f"{name}.root_volume_size", "integer", "root volume size in GiB (OpenShift needs at least 100)",
            defaults.root_volume_size, limits.VOLUME_SIZE),
        Key(f"{name}.root_volume_type", "string", "root volume type", defaults.root_volume_type, limits.VOLUME_TYPE),
        Key(f"{name}.root_volume_kms_key_arn", "string", "KMS key ARN (not an alias) of the root volumes, of the "
            "cluster's partition and region; null: EBS's default key", None, limits.KMS_KEY_ARN),
        Key(f"{name}.instance_profile", "string", "an existing instance profile for these machines: their role, "
            "policy and profile are then not created", None, limits.INSTANCE_PROFILE),
        Key(f"{name}.additional_security_group_ids", "list", "security groups attached besides the cluster's own "
            "(AWS allows 5 per network interface; the cluster's machines carry 2 of the project's)", [],
            limits.ADDITIONAL_SECURITY_GROUPS),
    ]


KEYS: tuple[Key, ...] = (
    Key("cluster_name", "string", "the cluster name (`metadata.name` of install-config.yaml)", REQUIRED,
        limits.CLUSTER_NAME, from_install_dir=True),
    Key("infra_id", "string", "the infrastructure ID from the installer's metadata.json", REQUIRED,
        limits.INFRA_ID, from_install_dir=True),
    Key("base_domain", "string", "the base DNS domain (install-config.yaml's baseDomain)", REQUIRED,
        limits.BASE_DOMAIN),
    Key("region", "string", "the AWS region; its partition (aws, aws-us-gov, aws-cn) follows from it", REQUIRED,
        from_install_dir=True, accepted="an AWS region such as us-east-1",
        schema={"enum": sorted(REGIONS)}),
    Key("availability_zones", "list", "the availability zones of the region; their order picks each one's subnet "
        "blocks", REQUIRED, limits.AVAILABILITY_ZONES, beyond="each zone is the region's name and one letter",
        schema={"items": {"type": "string", "pattern": whole(f"{limits.REGION_PATTERN}[a-z]")}}),
    Key("vpc_cidr", "string", "the VPC's IPv4 CIDR; with existing_vpc, one of that VPC's CIDR blocks",
        _DEFAULTS["vpc_cidr"], limits.VPC_CIDR, beyond="host bits zero, inside a private range"),
    Key("subnet_bits", "integer", "host bits of each subnet (5 = /27 ... 13 = /19); six subnets must fit the VPC",
        _DEFAULTS["subnet_bits"], limits.SUBNET_BITS),
    Key("publish", "string", "how the API and the apps are published, as install-config.yaml's publish (only "
        "Internal in aws-us-gov and aws-cn)", _DEFAULTS["publish"].value, limits.PUBLISH),
    Key("iam_profile", "string", "the machine roles' permissions: least_privilege, or the documented policies",
        _DEFAULTS["iam_profile"].value, limits.IAM_PROFILE),
    Key("openshift_version", "string", "the OpenShift release the infrastructure is for, a string (quote it: YAML "
        "reads 4.20 as 4.2)", _DEFAULTS["openshift_version"], limits.OPENSHIFT_VERSION),
    Key("network_acl", "boolean", "add the public subnets' network ACL", _DEFAULTS["network_acl"],
        accepted="true or false"),
    Key("restricted_network", "boolean", "add the ec2, elasticloadbalancing and sts interface endpoints",
        _DEFAULTS["restricted_network"], accepted="true or false"),
    Key("nat_gateways", "boolean", "one NAT gateway per availability zone; false only with restricted_network",
        _DEFAULTS["nat_gateways"], accepted="true or false"),
    Key("public_zone_id", "string", "the public Route 53 zone; null: looked up by base_domain at plan time; null "
        "when publish is Internal", None, limits.ZONE_ID),
    Key("private_zone_id", "string", "an existing private hosted zone for <cluster_name>.<base_domain>, associated "
        "with the VPC; cluster-infra then only writes records", None, limits.PRIVATE_ZONE_ID),
    Key("private_zone_role_arn", "string", "a role of the private zone's account the records are written (and "
        "removed) through", None, limits.ROLE_ARN),
    Key("iam_permissions_boundary", "string", "the permissions boundary of every role the project creates", None,
        limits.POLICY_ARN),
    Key("iam_path", "string", "the IAM path of every role and instance profile the project creates; null: /", None,
        limits.IAM_PATH),
    Key("existing_vpc", "mapping", "install into this VPC instead of creating one (the network team's)", None,
        accepted="a mapping with vpc_id, subnets, s3_endpoint and role_tags, or null"),
    Key("existing_vpc.vpc_id", "string", "the VPC", REQUIRED, limits.VPC_ID),
    Key("existing_vpc.s3_endpoint", "boolean", "add the S3 gateway endpoint to the subnets' route tables",
        ExistingVpc.s3_endpoint, accepted="true or false"),
    Key("existing_vpc.role_tags", "boolean", "also tag the subnets kubernetes.io/role/elb and internal-elb; false "
        "when the network team tags them", ExistingVpc.role_tags, accepted="true or false"),
    Key("existing_vpc.subnets", "mapping", "each availability zone's subnets, for exactly the availability_zones",
        REQUIRED, accepted="a mapping of each availability zone to its private and public subnet IDs",
        beyond="its keys are exactly availability_zones"),
    Key("existing_vpc.subnets.<az>", "mapping", "the zone's subnets", REQUIRED,
        accepted="a mapping with private and public subnet IDs"),
    Key("existing_vpc.subnets.<az>.private", "string", "the zone's private subnet", REQUIRED, limits.SUBNET_ID),
    Key("existing_vpc.subnets.<az>.public", "string", "the zone's public subnet; may be left out when publish is "
        "Internal and the bootstrap machine is private", None, limits.SUBNET_ID),
    Key("tags", "mapping", "tags on every resource (the provider's default_tags)", {},
        accepted="a mapping of tag names to string values", beyond="no aws: or kubernetes.io/cluster/ keys",
        schema={"propertyNames": {"minLength": 1, "maxLength": limits.TAG_KEY_LENGTH},
                "additionalProperties": {"type": "string", "maxLength": limits.TAG_VALUE_LENGTH}}),
    Key("aws_endpoints", "mapping", "service name to endpoint URL, for emulators and private API endpoints (S3 then "
        "uses path-style requests)", {}, accepted="a mapping of service name to endpoint URL",
        schema={"propertyNames": {"enum": list(ENDPOINT_SERVICES)},
                "additionalProperties": limits.ENDPOINT_URL.schema()}),
    Key("rhcos_ami", "string", "the RHCOS AMI of the region (no lookup at plan time)", REQUIRED, limits.AMI),
    Key("ignition_ca", "string", "the cluster CA as master.ign carries it (data:text/plain;charset=utf-8;base64,"
        "<PEM>) or an https URL", None, from_install_dir=True,
        accepted="the cluster CA as master.ign carries it, or openshift_install_dir",
        beyond="a data URL's payload is a PEM certificate bundle",
        schema={"pattern": f"^(?:{CA_DATA_PREFIX.replace('.', '[.]')}|{whole(HTTPS_URL)[1:]})"}),
    Key("openshift_install_dir", "string", "the installer's folder; after `openshift-install create "
        "ignition-configs` it fills cluster_name, infra_id, region, ignition_ca and bootstrap.ignition unless given "
        "(an infra_id given must be metadata.json's); before it, the machine tiers wait; relative to the "
        "configuration file", None, accepted="a folder path, or null",
        beyond="the folder holds metadata.json, master.ign and bootstrap.ign, or is before create ignition-configs"),
    *_pool("bootstrap", BootstrapConfig(), "bootstrap machine"),
    Key("bootstrap.ignition", "string", "bootstrap.ign: a local file (uploaded by the tier), s3://bucket/key, or an "
        "https:// URL", None, from_install_dir=True,
        accepted="a path to bootstrap.ign, an s3://bucket/key or an https:// URL",
        beyond="a local file exists and is an Ignition config; a URL is well-formed"),
    Key("bootstrap.ssh_cidr", "string", "who may SSH to the bootstrap machine; null: the VPC CIDR", None,
        limits.SSH_CIDR, beyond="host bits zero"),
    Key("bootstrap.ignition_kms_key_arn", "string", "the SSE-KMS key of the bucket a local bootstrap.ign is uploaded "
        "to; only with a local file", None, limits.KMS_KEY_ARN),
    Key("bootstrap.subnet", "string", "public: a public subnet and IP (the reference template); private: no public "
        "IP (the installer, for Internal clusters); null: public when External", None, limits.BOOTSTRAP_SUBNET),
    *_pool("control_plane", ControlPlaneConfig(), "masters (always 3)"),
    Key("control_plane.ignition_url", "string", "where masters merge their config; null: "
        "https://api-int.<cluster_name>.<base_domain>:22623/config/master", None, limits.IGNITION_URL),
    *_pool("compute", ComputeConfig(), "workers"),
    Key("compute.replicas", "integer", "the number of workers the compute tier creates", ComputeConfig.replicas,
        limits.REPLICAS),
    Key("compute.machineset_replicas", "integer", "replicas of each worker MachineSet `main.py machinesets` writes",
        ComputeConfig.machineset_replicas, limits.REPLICAS),
    Key("compute.ignition_url", "string", "where workers merge their config; null: .../config/worker", None,
        limits.IGNITION_URL),
    # Read entry by entry, each field named (edge_reading.py): limits.EDGE_ZONES is the modules' form of it.
    Key("edge_zones", "list", "Local Zones and Wavelength Zones of the region for edge compute", [],
        accepted=limits.EDGE_ZONES.accepted, beyond="each zone's name starts with the region",
        schema={"maxItems": limits.MAX_EDGE_ZONES}),
    *(Key(f"edge_zones[].{name}", "string", meaning, REQUIRED if name == "name" else None, limit)
      for (name, limit), meaning in zip(limits.EDGE_ZONES.attributes, (
          "the zone's name", "local-zone or wavelength-zone; null: from the name",
          "the public subnet's CIDR; null: the next free block of the VPC",
          "a Wavelength Zone's private subnet's CIDR; null: the next free block",
          "with existing_vpc: the zone's public subnet", "with existing_vpc: a Wavelength Zone's private subnet"), strict=True)),
    Key("edge_zones[].instance_type", "string", "the edge MachineSet's instance type; null: " + ", ".join(
        f"{kind} in a {zone.value}" for zone, kind in DEFAULT_INSTANCE_TYPE.items()), None, limits.INSTANCE_TYPE),
    Key("edge_zones[].volume_type", "string", "the edge machines' root volume type", DEFAULT_VOLUME_TYPE,
        limits.VOLUME_TYPE),
    Key("edge_zones[].replicas", "integer", "replicas of the zone's MachineSet", DEFAULT_REPLICAS, limits.REPLICAS),
    Key("credentials", "mapping", "manual mode with AWS STS: the OIDC issuer and a role per CredentialsRequest",
        None, accepted="a mapping with requests_dir and public_key, or null"),
    Key("credentials.requests_dir", "string", "the folder `oc adm release extract --credentials-requests "
        "--cloud=aws` wrote; relative to the configuration file", REQUIRED,
        accepted="the folder `oc adm release extract --credentials-requests --cloud=aws` wrote",
        beyond="the folder holds CredentialsRequests"),
    Key("credentials.public_key", "string", "the service-account signing public key (PEM, "
        "serviceaccount-signer.public from `ccoctl aws create-key-pair`)", REQUIRED,
        accepted="the service-account signing public key (PEM), such as serviceaccount-signer.public",
        beyond="the file is a PEM public key"),
    Key("credentials.previous_public_keys", "list", "public keys the issuer still serves during a rotation", [],
        accepted="a list of PEM files still served during a rotation", beyond="each file is a distinct PEM public key",
        schema={"items": {"type": "string"}}),
    Key("credentials.issuer_hosting", "string", "cloudfront: a private bucket behind CloudFront (the aws partition "
        "only); public_bucket: the issuer's documents public-read", IssuerHosting.CLOUDFRONT.value,
        limits.ISSUER_HOSTING),
    Key("credentials.enable_tech_preview", "boolean", "also make roles for TechPreviewNoUpgrade requests (ccoctl's "
        "--enable-tech-preview)", False, accepted="true or false"),
    Key("state", "mapping", "where the tiers keep their Terraform state", {},
        accepted="a mapping with bucket, region, key_prefix and dynamodb_table"),
    Key("state.bucket", "string", "the state bucket; null: <infra_id>-tfstate", StateConfig.bucket, limits.BUCKET),
    Key("state.region", "string", "the state bucket's region, of the cluster's partition; null: region",
        StateConfig.region, accepted="an AWS region, or null for the cluster's region",
        schema={"enum": sorted(REGIONS)}),
    Key("state.key_prefix", "string", "state keys are <key_prefix>/<cluster_name>/<tier>/terraform.tfstate",
        StateConfig.key_prefix, limits.KEY_PREFIX),
    Key("state.dynamodb_table", "string", "an optional DynamoDB lock table (S3 lock files are always used)",
        StateConfig.dynamodb_table, limits.LOCK_TABLE),
    Key("state.kms_key_arn", "string", "the SSE-KMS key of the state bucket and every state object, of the state "
        "region", StateConfig.kms_key_arn, limits.KMS_KEY_ARN),
    Key("ingress", "mapping", "the *.apps records as code (the ingress tier); ingress: {} turns it on", None,
        accepted="a mapping with service and load_balancer (both optional), or null"),
    Key("ingress.service", "string", "the Service whose load balancer the *.apps records point at",
        IngressConfig.service, limits.INGRESS_SERVICE),
    Key("ingress.load_balancer", "string", "one of the cluster's load balancers, named, to point at instead",
        IngressConfig.load_balancer, limits.LOAD_BALANCER_NAME),
)
BY_PATH: dict[str, Key] = {key.path: key for key in KEYS}

# Rules between keys, which the loader checks once every key has parsed and a JSON Schema does not
# express: (the key a message names, the rule). A value the schema accepts is refused by the loader
# only for these rules and the keys' own `beyond` (tests/test_config_schema.py holds both to it).
CROSS_KEY_RULES: tuple[tuple[str, str], ...] = (
    ("subnet_bits", "six subnets of subnet_bits fit vpc_cidr (unless existing_vpc)"),
    ("publish", "External only in the aws partition"),
    ("public_zone_id", "null when publish is Internal"),
    ("nat_gateways", "false only with restricted_network: true; left at true with existing_vpc"),
    ("network_acl", "left at its default with existing_vpc"),
    ("restricted_network", "left at its default with existing_vpc"),
    ("availability_zones", "zones of the region"),
    ("existing_vpc.subnets", "a private subnet for every one of availability_zones, and no other zone"),
    ("existing_vpc.subnets.<az>.public", "given when publish is External or bootstrap.subnet is public"),
    ("existing_vpc.subnets.<az>.private", "no subnet named twice"),
    ("credentials.issuer_hosting", "cloudfront only in the aws partition"),
    ("private_zone_role_arn", "only with private_zone_id; of the cluster's partition"),
    ("iam_permissions_boundary", "of the cluster's partition; null when no role is created"),
    ("iam_path", "null when no role is created"),
    ("bootstrap.root_volume_kms_key_arn", "a key of the cluster's partition and region"),
    ("control_plane.root_volume_kms_key_arn", "a key of the cluster's partition and region"),
    ("compute.root_volume_kms_key_arn", "a key of the cluster's partition and region"),
    ("bootstrap.ignition_kms_key_arn", "a key of the cluster's partition and region, only with a local bootstrap.ign"),
    ("state.kms_key_arn", "a key of the state region's partition and region"),
    ("state.region", "of the cluster's partition"),
    ("ignition_ca", "given, or openshift_install_dir; before `openshift-install create ignition-configs` (a folder "
     "without its files yet) the machine tiers wait, and cluster_name, infra_id and region are given"),
    ("bootstrap.ignition", "given, or openshift_install_dir (as ignition_ca)"),
    ("edge_zones[].name", "a zone of the region, each once"),
    ("edge_zones[].public_cidr", "inside vpc_cidr, clear of the availability zones' blocks and of each other; null "
     "with existing_vpc"),
    ("edge_zones[].private_cidr", "as public_cidr; null in a Local Zone"),
    ("edge_zones[].public_subnet_id", "given with existing_vpc, null without"),
    ("edge_zones[].private_subnet_id", "null without existing_vpc or in a Local Zone"),
    ("edge_zones", "a free block left in the VPC for each zone without CIDRs"),
    ("infra_id", "role names start with it (credentials)"),
    ("state.bucket", "each cluster of a fleet its own"),
    ("cluster_name", "each cluster of a fleet its own"),
    ("infra_id", "each cluster of a fleet its own"),
)


def children(parent: str) -> list[Key]:
    """The keys directly inside `parent` ("" for the top level), in table order."""
    return [key for key in KEYS if key.parent == parent and key.path != parent]


_INDEX = re.compile(r"\[[0-9]+\]")


def key_of(path: str) -> Key | None:
    """The table entry a message's field path (`edge_zones[1].name`, `existing_vpc.subnets.eu-west-1a.private`,
    `tags.owner`) is about: the deepest key it is in."""
    found, walked = None, ""
    for part in _INDEX.sub("[]", path).split("."):
        bare = part.removesuffix("[]")
        candidate = f"{walked}.{bare}" if walked else bare
        if candidate not in BY_PATH and walked == "existing_vpc.subnets":
            candidate = f"{walked}.<az>"  # keyed by zone name
        if candidate not in BY_PATH:
            break
        found, walked = BY_PATH[candidate], candidate + ("[]" if part.endswith("[]") else "")
    return found

