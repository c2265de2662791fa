"""The limits and patterns of configuration values: one table, rendered into both checks.

Each `Limit` answers twice from the same numbers and patterns: `problem()` for the
configuration loader (Python) and `condition()` for the exported modules'
`validation` blocks (HCL). A value is therefore accepted by a stack and by a
module alike, or by neither; tests/test_limits.py drives the boundary values of
every limit through both and requires the same verdict.

Patterns are written in the syntax Python's `re` and Terraform's RE2 share (no
look-arounds, no back-references) and always match the whole value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Sequence

from .edge import ZoneType
from .limit_types import Cidr, Count, Entries, IdList, Limit, OneOf, Pattern, Range  # noqa: F401 (re-exported)
from .releases import RELEASES


class Publish(str, Enum):
    """How the API is published, as in install-config.yaml's `publish`."""

    EXTERNAL = "External"
    INTERNAL = "Internal"


class IamProfile(str, Enum):
    """Which permissions the machine roles get (SPEC 3.3)."""

    LEAST_PRIVILEGE = "least_privilege"
    DOCUMENTED = "documented"


# Services whose endpoint the provider and the S3 backend can be pointed at
# (emulators, private API endpoints). Names are the provider's `endpoints` keys.
# elb: classic load balancers (teardown); resourcegroupstaggingapi: how the ingress tier finds the router's;
# servicequotas: `main.py doctor`'s quota check.
ENDPOINT_SERVICES = ("cloudfront", "dynamodb", "ec2", "elb", "elbv2", "iam", "resourcegroupstaggingapi", "route53",
                     "s3", "servicequotas", "sts")


_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
MAX_INFRA_ID_LENGTH = 27  # so "<infra_id>-aext" fits AWS's 32 characters for target groups (SPEC 3.7)
MIN_AZS, MAX_AZS = 1, 3
VOLUME_TYPES = ("gp2", "gp3", "io1", "io2")

HTTPS_URL = r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/%-]*)?"
# With a query, as a pre-signed S3 URL has one (X-Amz-Signature=...): bootstrap.ign behind a proxy.
HTTPS_URL_WITH_QUERY = HTTPS_URL + r"(\?[A-Za-z0-9._~%&=+-]*)?"
S3_URL = r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[A-Za-z0-9!_.*'()/-]+"
TAG_KEY_LENGTH, TAG_VALUE_LENGTH = 128, 256  # AWS's limits on tags
_PARTITIONS = "aws(-cn|-us-gov)?"
REGION_PATTERN = "[a-z]{2}(-[a-z]+)+-[0-9]"  # every AWS region name (regions.REGIONS)
_EC2_ID = "([0-9a-f]{8}|[0-9a-f]{17})"
# AWS's default quota is 5 security groups per network interface. The bootstrap machine has 2 of the
# project's own (its group and the masters'); masters and workers have 2 from OpenShift 4.16 on (their
# group and the cloud provider's `<infra_id>-lb`, configuration/releases.py), 1 before: three more fit
# every pool, and a worker MachineSet then names 5 groups.
MAX_ADDITIONAL_SECURITY_GROUPS = 3


@dataclass(frozen=True)
class Field:
    """Where a limit applies: a configuration key (dotted path) and the module variable, if any,
    that carries the same value."""

    path: str
    variable: str | None
    limit: Limit
    # Boundary values for the parity test: each is accepted by both checks or by neither.
    cases: Sequence[Any] = field(default=(), compare=False)


CLUSTER_NAME = Pattern("[a-z]([a-z0-9-]{0,61}[a-z0-9])?",
                       "a lowercase DNS label: a-z, 0-9 and '-', starting with a letter, at most 63 characters")
INFRA_ID = Pattern("[a-z]([a-z0-9-]*[a-z0-9])?",
                   "lowercase letters, digits and '-', starting with a letter and not ending with '-', at most "
                   f"{MAX_INFRA_ID_LENGTH} characters (so '<infra_id>-aext' fits AWS's 32)",
                   max_length=MAX_INFRA_ID_LENGTH)
BASE_DOMAIN = Pattern(f"{_LABEL}(\\.{_LABEL})*", "a lowercase DNS name such as example.com, without a trailing dot",
                      max_length=253)
AVAILABILITY_ZONES = Count(MIN_AZS, MAX_AZS, f"a list of {MIN_AZS} to {MAX_AZS} distinct availability zones of the "
                                             "region, such as [us-east-1a, us-east-1b]")
VPC_CIDR = Cidr("an IPv4 network in CIDR notation with a prefix from /16 to /24, such as 10.0.0.0/16", (16, 24),
                PRIVATE_RANGES, "a private range: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (RFC 1918) or "
                                "100.64.0.0/10 (RFC 6598)")
SUBNET_BITS = Range(5, 13)
SSH_CIDR = Cidr("an IPv4 CIDR such as 203.0.113.0/24, or null for the VPC CIDR")
PUBLISH = OneOf(tuple(p.value for p in Publish))
IAM_PROFILE = OneOf(tuple(p.value for p in IamProfile))
# A string: YAML reads an unquoted 4.20 as the number 4.2 (quote it: "4.20").
OPENSHIFT_VERSION = OneOf(tuple(RELEASES))
INGRESS_SERVICE = Pattern("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?",
                          "a Service as <namespace>/<name>, such as openshift-ingress/router-default")
LOAD_BALANCER_NAME = Pattern("[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?",
                             "a load balancer name: 1 to 32 letters, digits and '-', not starting or ending with '-'")
ZONE_ID = Pattern("Z[A-Z0-9]{1,31}", "a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ, or null to look it up")
PRIVATE_ZONE_ID = Pattern(ZONE_ID.regex, "a Route 53 private hosted zone ID such as Z0123456789ABCDEFGHIJ, or null to "
                                         "create the cluster's zone")
BUCKET = Pattern("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name: 3 to 63 lowercase letters, digits, '.' and "
                 "'-', starting and ending with a letter or digit", forbid=r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+",
                 forbid_reason="a bucket name that is not formatted as an IP address")
LOCK_TABLE = Pattern("[A-Za-z0-9_.-]{3,255}", "a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -), or null")
KEY_PREFIX = Pattern(r"[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*",
                     "a relative S3 key prefix such as ocp-upi-tf (no leading or trailing '/')")
AMI = Pattern("ami-([0-9a-f]{8}|[0-9a-f]{17})", "an AMI ID such as ami-0123456789abcdef0 (the RHCOS image of the region)")
INSTANCE_TYPE = Pattern("[a-z][a-z0-9-]*\\.[a-z0-9]+", "an EC2 instance type such as m5.xlarge")
VOLUME_SIZE = Range(100, 16384)  # OpenShift needs at least 100 GiB on a node's root disk
VOLUME_TYPE = OneOf(VOLUME_TYPES)
REPLICAS = Range(0, 250)
ENDPOINT_URL = Pattern(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?",
                       "an http(s) URL such as http://127.0.0.1:5000")
IGNITION_URL = Pattern(HTTPS_URL, "an https URL such as https://api-int.<cluster domain>:22623/config/master")
BOOTSTRAP_IGNITION_URL = Pattern(f"({S3_URL})|({HTTPS_URL_WITH_QUERY})",
                                 "an s3://bucket/key or https:// URL (a pre-signed URL's query included)")
VPC_ID = Pattern(f"vpc-{_EC2_ID}", "a VPC ID such as vpc-0123456789abcdef0")
SUBNET_ID = Pattern(f"subnet-{_EC2_ID}", "a subnet ID such as subnet-0123456789abcdef0")
SECURITY_GROUP_ID = Pattern(f"sg-{_EC2_ID}", "a security group ID such as sg-0123456789abcdef0")
SUBNET_IDS = IdList(SUBNET_ID, MAX_AZS, f"a list of at most {MAX_AZS} distinct subnet IDs, one per AZ in AZ order")
ADDITIONAL_SECURITY_GROUPS = IdList(
    SECURITY_GROUP_ID, MAX_ADDITIONAL_SECURITY_GROUPS,
    f"a list of at most {MAX_ADDITIONAL_SECURITY_GROUPS} distinct security group IDs (sg-...)")
KMS_KEY_ARN = Pattern(f"arn:{_PARTITIONS}:kms:{REGION_PATTERN}:[0-9]{{12}}:key/(mrk-[0-9a-f]{{32}}|[0-9a-f]{{8}}-[0-9a-f]{{4}}-"
                      "[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
                      "a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<key id> (a key, not an alias)")
ROLE_ARN = Pattern(f"arn:{_PARTITIONS}:iam::[0-9]{{12}}:role(/[A-Za-z0-9+=,.@_-]+)+",
                   "an IAM role ARN such as arn:aws:iam::123456789012:role/dns-writer", max_length=2048)
POLICY_ARN = Pattern(f"arn:{_PARTITIONS}:iam::([0-9]{{12}}|aws):policy(/[A-Za-z0-9+=,.@_-]+)+",
                     "an IAM policy ARN such as arn:aws:iam::123456789012:policy/ocp-boundary", max_length=2048)
IAM_PATH = Pattern("/([A-Za-z0-9+=,.@_-]+/)*", "an IAM path: '/', or names between slashes such as /openshift/",
                   max_length=512)
INSTANCE_PROFILE = Pattern("[A-Za-z0-9+=,.@_-]+", "an existing instance profile name (A-Z a-z 0-9 +=,.@_-), "
                           "or null to create one", max_length=128)
BOOTSTRAP_SUBNET = OneOf(("private", "public"))
MAX_EDGE_ZONES = 8
EDGE_ZONE = Pattern(f"{REGION_PATTERN}-[a-z0-9]+(-[a-z0-9]+)*",
                    "a Local Zone or Wavelength Zone name such as us-east-1-nyc-1a or us-east-1-wl1-bos-wlz-1")
EDGE_ZONE_TYPE = OneOf(tuple(kind.value for kind in ZoneType))
EDGE_CIDR = Cidr("an IPv4 network in CIDR notation inside vpc_cidr, such as 10.0.128.0/20, or null for the next "
                 "free block", (16, 28))
EDGE_ZONES = Entries(MAX_EDGE_ZONES, "name", (
    ("name", EDGE_ZONE), ("type", EDGE_ZONE_TYPE), ("public_cidr", EDGE_CIDR), ("private_cidr", EDGE_CIDR),
    ("public_subnet_id", SUBNET_ID), ("private_subnet_id", SUBNET_ID)),
    f"a list of at most {MAX_EDGE_ZONES} edge zones, each {{name, and optionally type, public_cidr, private_cidr, "
    "public_subnet_id, private_subnet_id}, each zone once")
ISSUER_HOSTING = OneOf(("cloudfront", "public_bucket"))  # sts.IssuerHosting

_POOLS = {"bootstrap": "bootstrap", "control_plane": "master", "compute": "worker"}
# Keys of the example's region: a key of another partition or region is a cross-key check (loading.py).
_KMS_CASES = ("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
              "arn:aws:kms:us-east-1:123456789012:key/mrk-1234567890abcdef1234567890abcdef",
              "arn:aws:kms:us-east-1:123456789012:key/MRK-1234567890abcdef1234567890abcdef",
              "arn:aws:kms:us-east-1:123456789012:alias/ocp", "1234abcd-12ab-34cd-56ef-1234567890ab",
              "arn:aws:kms:us-east-1:12345678901:key/1234abcd-12ab-34cd-56ef-1234567890ab")

# Every limited configuration key, with the module variable that carries it.
LIMITS: tuple[Field, ...] = (
    Field("cluster_name", "cluster_name", CLUSTER_NAME, ("a", "a" * 63, "a" * 64, "a-b", "a-", "1a", "A", "a\n")),
    Field("infra_id", "infra_id", INFRA_ID, ("a", "a" * 27, "a" * 28, "ocp4-x7k2q", "ocp4-", "Ocp4", "ocp4_x")),
    Field("base_domain", "base_domain", BASE_DOMAIN,
          ("example.com", "com", "example.com.", "Example.com", "a-.com", ("a" * 63 + ".") * 3 + "a" * 61,
           ("a" * 63 + ".") * 3 + "a" * 62, "a" * 64 + ".com")),
    Field("availability_zones", "availability_zones", AVAILABILITY_ZONES,
          ([], ["us-east-1a"], ["us-east-1a", "us-east-1b", "us-east-1c"],
           ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"], ["us-east-1a", "us-east-1a"])),
    Field("vpc_cidr", "vpc_cidr", VPC_CIDR,
          ("10.0.0.0/16", "10.0.0.0/15", "10.0.0.0/24", "10.0.0.0/25", "10.0.0.1/16", "11.0.0.0/16",
           "172.16.0.0/16", "172.32.0.0/16", "100.64.0.0/16", "100.128.0.0/16", "192.168.0.0/24", "fd00::/56",
           "10.0.0.0", "10.0.0.0/016", " 10.0.0.0/16", "nonsense")),
    Field("subnet_bits", "subnet_bits", SUBNET_BITS, (4, 5, 13, 14, 12.0, 12.5)),
    Field("publish", "publish", PUBLISH, ("External", "Internal", "external", "")),
    Field("iam_profile", "iam_profile", IAM_PROFILE, ("least_privilege", "documented", "admin", "Documented")),
    Field("openshift_version", "openshift_version", OPENSHIFT_VERSION,
          ("4.14", "4.16", "4.22", "4.23", "5.0", "4.13", "4.2", "4.22.3", "5", "5.1", "")),
    Field("public_zone_id", "public_zone_id", ZONE_ID, ("Z1", "Z" + "A" * 31, "Z" + "A" * 32, "Z", "z123", "example.com")),
    Field("state.bucket", "state_bucket", BUCKET, ("abc", "ab", "a" * 63, "a" * 64, "-abc", "abc-", "My_Bucket",
                                                   "192.168.0.1", "a.b.c")),
    Field("state.dynamodb_table", "lock_table", LOCK_TABLE, ("abc", "ab", "a" * 255, "a" * 256, "a b")),
    Field("state.key_prefix", None, KEY_PREFIX),
    Field("rhcos_ami", "rhcos_ami", AMI, ("ami-01234567", "ami-0123456789abcdef0", "ami-0123456", "ami-xyz",
                                          "ami-0123456789ABCDEF0", "ami-0123456789")),
    *(Field(f"{pool}.instance_type", f"{prefix}_instance_type", INSTANCE_TYPE,
            ("m5.xlarge", "m6i.2xlarge", "u-6tb1.metal", "m5", "M5.large", "m5.", ".large"))
      for pool, prefix in _POOLS.items()),
    # The modules take one root volume size and type for every machine; each pool of a stack its own.
    *(Field(f"{pool}.root_volume_size", "root_volume_size" if pool == "bootstrap" else None, VOLUME_SIZE,
            (99, 100, 16384, 16385)) for pool in _POOLS),
    *(Field(f"{pool}.root_volume_type", "root_volume_type" if pool == "bootstrap" else None, VOLUME_TYPE,
            ("gp2", "gp3", "io1", "io2", "standard", "GP3")) for pool in _POOLS),
    Field("compute.replicas", "worker_replicas", REPLICAS, (-1, 0, 250, 251, 3.0, 2.5)),
    Field("compute.machineset_replicas", None, REPLICAS),
    Field("bootstrap.ssh_cidr", "bootstrap_ssh_cidr", SSH_CIDR,
          ("0.0.0.0/0", "203.0.113.0/24", "203.0.113.7/32", "203.0.113.7", "203.0.113.0/024", "10.0.0.1/8",
           "10.0.0.0/33", "fd00::/8", "nonsense")),
    *(Field(f"{pool}.ignition_url", f"{prefix}_ignition_url", IGNITION_URL,
            ("https://api-int.ocp4.example.com:22623/config/master", "https://h", "http://h/config",
             "https://h:22623/a b", "ftp://h")) for pool, prefix in (("control_plane", "master"), ("compute", "worker"))),
    # Existing infrastructure.
    Field("existing_vpc.vpc_id", "vpc_id", VPC_ID, ("vpc-0123abcd", "vpc-0123456789abcdef0", "vpc-0123", "vpc-XYZ",
                                                     "subnet-0123abcd")),
    Field("private_zone_id", "private_zone_id", PRIVATE_ZONE_ID, ("Z1", "Z0123456789ABCDEFGHIJ", "Z" + "A" * 32, "z123")),
    Field("private_zone_role_arn", None, ROLE_ARN),
    Field("iam_permissions_boundary", "iam_permissions_boundary", POLICY_ARN,
          ("arn:aws:iam::123456789012:policy/boundary", "arn:aws:iam::aws:policy/PowerUserAccess",
           "arn:aws:iam::123456789012:role/boundary", "boundary", "arn:aws:iam::123:policy/b")),
    Field("iam_path", "iam_path", IAM_PATH, ("/", "/openshift/", "/a/b/", "openshift", "/openshift", "//", "/a b/")),
    *(Field(f"{pool}.instance_profile", f"{prefix}_instance_profile", INSTANCE_PROFILE,
            ("ocp-master-profile", "a" * 128, "a" * 129, "a profile", "")) for pool, prefix in _POOLS.items()),
    *(Field(f"{pool}.additional_security_group_ids", f"{prefix}_additional_security_group_ids",
            ADDITIONAL_SECURITY_GROUPS,
            ([], ["sg-0123abcd"], ["sg-0123abcd", "sg-0123abcd"], ["sg-1234abcd", "sg-2234abcd", "sg-3234abcd"],
             ["sg-1234abcd", "sg-2234abcd", "sg-3234abcd", "sg-4234abcd"], ["subnet-0123abcd"], ["sg-0123ABCD"]))
      for pool, prefix in _POOLS.items()),
    # The modules take one key for every machine's root volume, as they take one size and type.
    *(Field(f"{pool}.root_volume_kms_key_arn", "root_volume_kms_key_arn" if pool == "bootstrap" else None,
            KMS_KEY_ARN, _KMS_CASES) for pool in _POOLS),
    Field("state.kms_key_arn", "state_kms_key_arn", KMS_KEY_ARN, _KMS_CASES),
    Field("bootstrap.ignition_kms_key_arn", None, KMS_KEY_ARN),
    Field("bootstrap.subnet", "bootstrap_subnet", BOOTSTRAP_SUBNET, ("private", "public", "Private", "")),
    Field("ingress.service", "ingress_service", INGRESS_SERVICE,
          ("openshift-ingress/router-default", "a/b", "router-default", "openshift-ingress/", "Openshift/router",
           "ns/-router", "a" * 63 + "/b", "a" * 64 + "/b")),
    Field("ingress.load_balancer", "ingress_load_balancer", LOAD_BALANCER_NAME,
          ("a", "a" * 32, "a" * 33, "-a", "a-", "a1b2c3d4e5f6", "router_lb", "")),
    Field("credentials.issuer_hosting", "issuer_hosting", ISSUER_HOSTING,
          ("cloudfront", "public_bucket", "CloudFront", "s3")),
    Field("edge_zones", "edge_zones", EDGE_ZONES,
          ([], [{"name": "us-east-1-nyc-1a"}], [{"name": "us-east-1-nyc-1a"}, {"name": "us-east-1-nyc-1a"}],
           [{"name": "us-east-1-wl1-bos-wlz-1", "type": "wavelength-zone", "public_cidr": "10.0.128.0/20",
             "private_cidr": "10.0.144.0/20"}], [{"name": "Nyc-1a"}], [{"name": "us-east-1-nyc-1a", "type": "edge"}],
           [{"name": "us-east-1-nyc-1a", "public_cidr": "10.0.128.0/020"}],
           [{"name": "us-east-1-nyc-1a", "public_cidr": "10.0.128.1/20"}],
           [{"name": f"us-east-1-z{i}-1a"} for i in range(MAX_EDGE_ZONES + 1)])),
)


# The exported modules' variables: name -> the limit of the configuration key it carries, and
# the boundary values it is tested with (tests/test_limits.py; each module's generated suite,
# operations/module_tests.py). A module takes bootstrap.ign only as a URL (its caller uploads
# the file), and an existing VPC's subnets as lists.
VARIABLE_LIMITS: dict[str, Limit] = {
    **{f.variable: f.limit for f in LIMITS if f.variable is not None},
    "bootstrap_ignition_url": BOOTSTRAP_IGNITION_URL,
    "public_subnet_ids": SUBNET_IDS,
    "private_subnet_ids": SUBNET_IDS,
}
VARIABLE_CASES: dict[str, tuple[Any, ...]] = {
    **{f.variable: tuple(f.cases) for f in LIMITS if f.variable is not None},
    "bootstrap_ignition_url": ("s3://ocp4-infra/bootstrap.ign", "https://h.example.com/bootstrap.ign?X-Amz-Date=1&a=b",
                               "http://h.example.com/bootstrap.ign", "s3://", "bootstrap.ign"),
    **{name: (["subnet-0123abcd"], ["subnet-0123abcd", "subnet-0123abcd"], ["sg-0123abcd"],
              ["subnet-1", "subnet-2", "subnet-3", "subnet-4"]) for name in ("public_subnet_ids", "private_subnet_ids")},
}
