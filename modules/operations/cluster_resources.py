"""Removing what a running cluster created that no tier's state manages, before the tiers that hold it go.

A running OpenShift cluster creates AWS resources of its own: the ingress
operator's load balancers and their security groups (with rules on the node
groups that reference them), `*.apps` records in both zones, machines from
MachineSets, IAM users with keys from the cloud-credential operator, and data:
the image registry's bucket, volumes and snapshots of persistent volumes. It
tags them `kubernetes.io/cluster/<infra_id>: owned`. They block the destroy of
the cluster-infra, security and network tiers (`DependencyViolation`,
`HostedZoneNotEmpty`) or outlive it (a public record pointing at a deleted load
balancer invites a subdomain takeover).

`read_answers()` and `plan_removal()` find them with the AWS SDK, scoped three ways at once: the
cluster's tag with value `owned` (records: a name under the cluster's domain),
the cluster's VPC and zones, and not held by any tier's state (the state
objects are read directly: see teardown.py). removal.py deletes them in
dependency order, waiting where AWS is eventually consistent. Every step is
safe to run again.

Per-service describe calls rather than the resource-groups tagging API: they
return tags and placement (VPC, attachment) in one answer, and they also cover
IAM users and records, which the tagging API does not list.
"""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..configuration.cluster import ClusterConfig
OWNED = "owned"
LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"]
# Deletion order: what uses a thing goes before it (instances and load balancers hold
# network interfaces in the subnets and reference the groups; rules reference groups).
ORDER = ("instance", "load balancer", "classic load balancer", "target group", "network interface",
         "security group rule", "security group", "record", "IAM user", "bucket", "volume", "snapshot")
DATA_KINDS = ("bucket", "volume", "snapshot")


@dataclass(frozen=True)
class Found:
    """One resource the cluster created: its kind (see ORDER), AWS's ID, and what the listing shows."""

    kind: str
    id: str
    detail: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # what deleting it needs besides the ID (a rule's group, a zone)

    @property
    def data(self) -> bool:
        return self.kind in DATA_KINDS

    def get(self, key: str) -> str:
        return dict(self.extra)[key]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Scope:
    """Where the cluster's own resources can be: its tag, VPC, zones and domain."""

    infra_id: str
    cluster_domain: str
    vpc_id: str | None
    zone_ids: tuple[str, ...]
    # Zones handed over (private_zone_id): others' records may be in them under the cluster's
    # domain, so only the ingress operator's `*.apps` record is the cluster's there.
    handed_zone_ids: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        return f"kubernetes.io/cluster/{self.infra_id}"

    def owns(self, tags: Iterable[dict[str, str]] | dict[str, str] | None) -> bool:
        pairs = tags.items() if isinstance(tags, dict) else ((t["Key"], t["Value"]) for t in tags or ())
        return any(key == self.tag and value == OWNED for key, value in pairs)

    def holds_name(self, name: str) -> bool:
        """Whether a record name (as Route 53 returns it) is the cluster's domain or below it."""
        plain = record_name(name)
        return plain == self.cluster_domain or plain.endswith(f".{self.cluster_domain}")


def record_name(name: str) -> str:
    """A record name as Terraform writes it: Route 53 returns `*` as `\\052` and a trailing dot."""
    return name.replace("\\052", "*").rstrip(".")


# --------------------------------------------------------------------------- what the tiers manage


def managed_ids(states: Iterable[dict[str, Any]]) -> set[str]:
    """Every `id` and `arn` of the resources the given Terraform states manage: what no cleanup may
    touch. Data sources are not managed: the ingress tier reads the router's load balancer, which is
    still the cluster's to remove."""
    held: set[str] = set()
    for state in states:
        for resource in state.get("resources", []):
            if resource.get("mode") == "data":
                continue
            for instance in resource.get("instances", []):
                attributes = instance.get("attributes") or {}
                held |= {attributes[key] for key in ("id", "arn") if isinstance(attributes.get(key), str)}
    return held


def output(state: dict[str, Any] | None, name: str) -> Any:
    return ((state or {}).get("outputs") or {}).get(name, {}).get("value")


# --------------------------------------------------------------------------- discovery (pure)


@dataclass
class Answers:
    """The AWS answers discovery reads, as the SDK returns them (tests record them)."""

    instances: list[dict[str, Any]]  # ec2 describe_instances Reservations[].Instances[], in the VPC
    load_balancers: list[dict[str, Any]]  # elbv2 describe_load_balancers, each with "Tags"
    classic_load_balancers: list[dict[str, Any]]  # elb describe_load_balancers, each with "Tags"
    target_groups: list[dict[str, Any]]  # elbv2 describe_target_groups, each with "Tags"
    network_interfaces: list[dict[str, Any]]  # detached and tagged, in the VPC
    security_groups: list[dict[str, Any]]  # in the VPC
    security_group_rules: list[dict[str, Any]]  # of the groups in the VPC
    records: dict[str, list[dict[str, Any]]]  # zone ID -> its record sets
    users: list[dict[str, Any]]  # iam users, each with "Tags"
    buckets: list[dict[str, Any]]  # each {"Name", "Tags"}
    volumes: list[dict[str, Any]]
    snapshots: list[dict[str, Any]]


def plan_removal(answers: Answers, scope: Scope, managed: set[str]) -> list[Found]:
    """What to delete, in deletion order: owned by the cluster, in its VPC or zones, not in any state."""
    found: list[Found] = []
    mine = lambda item, key: scope.owns(item.get("Tags")) and item[key] not in managed  # noqa: E731
    in_vpc = lambda item, key="VpcId": scope.vpc_id is not None and item.get(key) == scope.vpc_id  # noqa: E731
    found += [Found("instance", i["InstanceId"], _name(i.get("Tags")))
              for i in answers.instances if in_vpc(i) and mine(i, "InstanceId")
              and i.get("State", {}).get("Name") in LIVE_INSTANCE_STATES]
    found += [Found("load balancer", lb["LoadBalancerArn"], lb["LoadBalancerName"])
              for lb in answers.load_balancers if in_vpc(lb) and mine(lb, "LoadBalancerArn")]
    found += [Found("classic load balancer", lb["LoadBalancerName"])
              for lb in answers.classic_load_balancers if in_vpc(lb, "VPCId") and mine(lb, "LoadBalancerName")]
    found += [Found("target group", tg["TargetGroupArn"], tg.get("TargetGroupName", ""))
              for tg in answers.target_groups if in_vpc(tg) and mine(tg, "TargetGroupArn")]
    found += [Found("network interface", eni["NetworkInterfaceId"], eni.get("Description", ""))
              for eni in answers.network_interfaces if in_vpc(eni) and eni.get("Status") == "available"
              and scope.owns(eni.get("TagSet")) and eni["NetworkInterfaceId"] not in managed]
    groups = [g for g in answers.security_groups if in_vpc(g) and g.get("GroupName") != "default"
              and mine(g, "GroupId")]
    doomed = {g["GroupId"] for g in groups}
    for rule in answers.security_group_rules:
        # Every rule that names a doomed group from another group, doomed or not: AWS deletes no
        # group that another group's rule references. A group's rules on itself go with it.
        referenced = (rule.get("ReferencedGroupInfo") or {}).get("GroupId")
        if referenced in doomed and referenced != rule["GroupId"] and rule["SecurityGroupRuleId"] not in managed:
            direction = "egress" if rule.get("IsEgress") else "ingress"
            found.append(Found("security group rule", rule["SecurityGroupRuleId"],
                               f"{direction} on {rule['GroupId']} from {referenced}",
                               (("group", rule["GroupId"]), ("direction", direction))))
    found += [Found("security group", g["GroupId"], g.get("GroupName", "")) for g in groups]
    for zone, records in answers.records.items():
        if zone not in scope.zone_ids:
            continue
        for record in records:
            name, kind = record_name(record["Name"]), record["Type"]
            # The provider's ID of a record: zone, name, type, and the set identifier of a routing policy.
            ident = "_".join([zone, name, kind] + ([record["SetIdentifier"]] if record.get("SetIdentifier") else []))
            if kind in ("SOA", "NS") or not scope.holds_name(record["Name"]) or ident in managed:
                continue
            if zone in scope.handed_zone_ids and name != f"*.apps.{scope.cluster_domain}":
                continue
            found.append(Found("record", f"{name} {kind}", f"zone {zone}",
                               (("zone", zone), ("set", json.dumps(record, sort_keys=True)))))
    found += [Found("IAM user", u["UserName"]) for u in answers.users if mine(u, "Arn")]
    found += [Found("bucket", b["Name"]) for b in answers.buckets
              if scope.owns(b.get("Tags")) and b["Name"] not in managed]
    found += [Found("volume", v["VolumeId"], f"{v.get('Size', '?')} GiB") for v in answers.volumes
              if mine(v, "VolumeId") and not any(a.get("DeleteOnTermination") for a in v.get("Attachments", []))]
    found += [Found("snapshot", s["SnapshotId"], s.get("VolumeId", "")) for s in answers.snapshots
              if mine(s, "SnapshotId")]
    return sorted(found, key=lambda f: ORDER.index(f.kind))


def _name(tags: Iterable[dict[str, str]] | None) -> str:
    return next((t["Value"] for t in tags or () if t["Key"] == "Name"), "")


# --------------------------------------------------------------------------- AWS


class AwsError(RuntimeError):
    """An AWS call of the cleanup failed (credentials, permissions, a refusal); what ran before stays done."""


@contextlib.contextmanager
def aws_errors() -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError, WaiterError

    try:
        yield
    except (BotoCoreError, ClientError, WaiterError) as error:
        raise AwsError(f"{error} (the step is safe to run again)") from error


# Every SDK client the project creates retries throttling (RequestLimitExceeded, Throttling,
# PriorRequestNotComplete, SlowDown, ...) and 500/502/503/504 with exponential backoff and
# jitter: botocore's "standard" mode, with more attempts than its default 3 for busy accounts.
# Terraform's own retries are the provider's and are left as they are.
SDK_RETRIES = {"mode": "standard", "total_max_attempts": 10}
# The SDK's service names that differ from the provider's `endpoints` keys (aws_endpoints' keys).
ENDPOINT_KEYS = {"service-quotas": "servicequotas"}


class Aws:
    """boto3 clients for the cluster's region, through the configuration's `aws_endpoints`; the only
    place the project creates SDK clients (SDK_RETRIES)."""

    def __init__(self, config: ClusterConfig, env: dict[str, str] | None = None):
        import boto3  # here: the other operations never need the SDK

        from botocore.config import Config

        env = env or {}
        self._session = boto3.session.Session(
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"), aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
            aws_session_token=env.get("AWS_SESSION_TOKEN"), region_name=config.region)
        self._endpoints, self._clients = dict(config.aws_endpoints), {}
        self._config = Config(retries=SDK_RETRIES)
        # As the provider and the backend do (tiers/inputs.py): a custom S3 endpoint takes no bucket host names.
        self._s3 = self._config.merge(Config(s3={"addressing_style": "path"})) if "s3" in self._endpoints \
            else self._config
        self._zone_role = (config.private_zone_id, config.private_zone_role_arn, config.infra_id)

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            endpoint = self._endpoints.get(ENDPOINT_KEYS.get(service, service))
            self._clients[service] = self._session.client(service, endpoint_url=endpoint,
                                                          config=self._s3 if service == "s3" else self._config)
        return self._clients[service]

    def zone(self, zone_id: str) -> Any:
        """Route 53 for `zone_id`: through `private_zone_role_arn` for the existing private zone of
        another account, as cluster-infra writes its records (tiers/inputs.py), else as every call."""
        given, role_arn, infra_id = self._zone_role
        if zone_id != given or role_arn is None:
            return self("route53")
        if "route53:assumed" not in self._clients:
            credentials = self("sts").assume_role(RoleArn=role_arn, RoleSessionName=f"{infra_id}-teardown")
            keys = credentials["Credentials"]
            self._clients["route53:assumed"] = self._session.client(
                "route53", endpoint_url=self._endpoints.get("route53"), config=self._config,
                aws_access_key_id=keys["AccessKeyId"],
                aws_secret_access_key=keys["SecretAccessKey"], aws_session_token=keys["SessionToken"])
        return self._clients["route53:assumed"]


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def _chunks(items: Sequence[Any], size: int = 20) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def read_answers(aws: Aws, scope: Scope) -> Answers:
    """Ask AWS what `plan_removal` needs (read-only)."""
    ec2, tag = aws("ec2"), [{"Name": f"tag:{scope.tag}", "Values": [OWNED]}]
    in_vpc = [{"Name": "vpc-id", "Values": [scope.vpc_id]}] if scope.vpc_id else None
    instances = [i for r in pages(ec2, "describe_instances", "Reservations", Filters=in_vpc + tag)
                 for i in r["Instances"]] if in_vpc else []
    elbv2, elb = aws("elbv2"), aws("elb")
    balancers = _with_tags([lb for lb in pages(elbv2, "describe_load_balancers", "LoadBalancers")
                            if in_vpc and lb.get("VpcId") == scope.vpc_id], "LoadBalancerArn", "ResourceArn",
                           lambda arns: elbv2.describe_tags(ResourceArns=arns))
    classic = _with_tags([lb for lb in pages(elb, "describe_load_balancers", "LoadBalancerDescriptions")
                          if in_vpc and lb.get("VPCId") == scope.vpc_id], "LoadBalancerName", "LoadBalancerName",
                         lambda names: elb.describe_tags(LoadBalancerNames=names))
    groups = list(pages(ec2, "describe_security_groups", "SecurityGroups", Filters=in_vpc)) if in_vpc else []
    rules = [rule for chunk in _chunks([g["GroupId"] for g in groups], 200)  # EC2 takes 200 values a filter
             for rule in pages(ec2, "describe_security_group_rules", "SecurityGroupRules",
                                Filters=[{"Name": "group-id", "Values": list(chunk)}])]
    target_groups = _with_tags([tg for tg in pages(elbv2, "describe_target_groups", "TargetGroups")
                                if in_vpc and tg.get("VpcId") == scope.vpc_id], "TargetGroupArn", "ResourceArn",
                               lambda arns: elbv2.describe_tags(ResourceArns=arns))
    interfaces = list(pages(ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=in_vpc + tag + [
        {"Name": "status", "Values": ["available"]}])) if in_vpc else []
    records = {zone: list(pages(aws.zone(zone), "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone))
               for zone in scope.zone_ids}
    iam = aws("iam")
    users = [{**user, "Tags": iam.list_user_tags(UserName=user["UserName"]).get("Tags", [])}
             for user in pages(iam, "list_users", "Users")]
    s3 = aws("s3")
    buckets = [{"Name": b["Name"], "Tags": _bucket_tags(s3, b["Name"])} for b in pages(s3, "list_buckets", "Buckets")]
    volumes = list(pages(ec2, "describe_volumes", "Volumes", Filters=tag))
    snapshots = list(pages(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"], Filters=tag))
    return Answers(instances, balancers, classic, target_groups, interfaces, groups, rules, records, users, buckets,
                   volumes, snapshots)


def _with_tags(balancers: list[dict[str, Any]], key: str, answer_key: str,
               describe_tags: Callable[[list[str]], dict[str, Any]]) -> list[dict[str, Any]]:
    """`balancers` with their "Tags", asked 20 at a time (the most describe_tags takes)."""
    for chunk in _chunks(balancers):
        tags = {d[answer_key]: d.get("Tags", []) for d in describe_tags([lb[key] for lb in chunk])["TagDescriptions"]}
        for lb in chunk:
            lb["Tags"] = tags.get(lb[key], [])
    return balancers


def _bucket_tags(s3: Any, name: str) -> list[dict[str, str]]:
    from botocore.exceptions import ClientError

    try:
        return s3.get_bucket_tagging(Bucket=name).get("TagSet", [])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchTagSet", "NoSuchBucket"):
            return []  # untagged, or deleted meanwhile: not the cluster's
        raise  # AccessDenied must not hide the cluster's data from the data check
