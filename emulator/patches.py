"""Where moto deviates from AWS, corrected inside the harness (never in the generated Terraform).

Each patch is small, says which AWS behaviour it restores, and is applied once,
before the emulator starts. `strict.py` adds AWS's refusals and delays, and
`faults.py` its throttling and transient errors (both on unless turned off).
"""
from __future__ import annotations

from emulator.faults import REPORT_PATH, Faults

_applied = ""  # "strict" or "lenient", once applied
FAULTS = Faults()  # the running emulator's faults: its rate and seed are set before it serves


def apply_patches(*, strict: bool = True) -> None:
    """Once per process: moto's classes are patched in place, and cannot be unpatched."""
    global _applied
    if _applied:
        if _applied != ("strict" if strict else "lenient"):
            raise RuntimeError(f"the emulator's patches are already applied {_applied}")
        return
    _applied = "strict" if strict else "lenient"
    _one_request_at_a_time()
    _policy_conditions()
    _portless_protocols()
    _group_rule_descriptions()
    _zone_with_vpc_is_private()
    _zone_ids_start_with_z()
    _instance_network_interface()
    _no_public_ip_no_association()
    _load_balancer_default_scheme()
    _cloudfront_reads_back_what_was_sent()
    _classic_load_balancers_as_aws_lists_them()
    _edge_zones()
    _quotas()
    if strict:
        from emulator.strict import apply_strict_patches

        apply_strict_patches()


def _quotas() -> None:
    """Service Quotas' defaults and applied values, S3's bucket-owner condition (quotas.py)."""
    from emulator.quotas import apply_quotas

    apply_quotas()


def _edge_zones() -> None:
    """Local Zones and Wavelength Zones, their groups and the opt-in (edge_zones.py)."""
    from emulator.edge_zones import apply_edge_zones

    apply_edge_zones()


def _one_request_at_a_time() -> None:
    """Each API call is atomic and happens once, as on AWS.

    - moto's threaded server runs requests side by side over plain dicts, with no
      locking: one lock around the dispatcher serializes the calls (each takes
      milliseconds; the provider's own waits dominate).
    - The SDK retries a call whose answer it did not get (`amz-sdk-request:
      attempt=N`, same `amz-sdk-invocation-id`). Under load on this machine a rule
      authorization was retried after its first attempt had been applied (TF_LOG:
      "retrying request EC2/AuthorizeSecurityGroupIngress, attempt 2"), and the
      retry failed with `InvalidPermission.Duplicate`. A retry here gets the first
      attempt's answer when there is one, as if it had arrived; each retry and each
      5xx answer is written to standard error, for the test's output.
    - FAULTS (faults.py) answers some first attempts with throttling or a 5xx
      instead of running them, and counts the retries that got through.
    """
    import sys
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    lock, original = threading.Lock(), DomainDispatcherApplication.__call__
    answers: dict[str, tuple[str, list, list[bytes]]] = {}  # invocation id -> status, headers, body

    def __call__(self, environ, start_response):
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        attempt = environ.get("HTTP_AMZ_SDK_REQUEST", "attempt=1").split(";")[0].strip()
        if environ.get("PATH_INFO") == REPORT_PATH:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [FAULTS.report()]
        with lock:
            fault = FAULTS.decide(environ)
            if fault is not None:
                start_response(fault.status_line, fault.headers)
                return [fault.body]
            if attempt != "attempt=1" and invocation not in FAULTS.pending:
                print(f"emulator: SDK retry ({attempt}) of {environ.get('PATH_INFO')} "
                      f"{'answered from its first attempt' if invocation in answers else 'run again'}",
                      file=sys.stderr, flush=True)
                if invocation in answers:
                    status, headers, body = answers[invocation]
                    start_response(status, headers)
                    return body
            seen = {}

            def remember(status, headers, *rest):
                seen.update(status=status, headers=list(headers))
                return start_response(status, headers, *rest)

            body = list(original(self, environ, remember))
            FAULTS.settle(invocation, seen.get("status", "500"))
            if invocation and seen and not seen["status"].startswith("5"):  # a failed attempt is run again
                answers[invocation] = (seen["status"], seen["headers"], body)
                if len(answers) > 5000:  # a retry follows its first attempt within seconds
                    answers.pop(next(iter(answers)))
            if seen.get("status", "").startswith("5"):
                print(f"emulator: {seen['status']} for {environ.get('PATH_INFO')} "
                      f"{environ.get('QUERY_STRING', '')[:200]}", file=sys.stderr, flush=True)
            return body

    DomainDispatcherApplication.__call__ = __call__


def _policy_conditions() -> None:
    """Bucket policies: a statement whose `Bool` condition is false does not apply.

    moto does not evaluate the `Bool` operator (every `Bool` condition counts as
    met) and knows no `aws:SecureTransport`, so the state bucket's "deny unless
    TLS" statement denied every request. In AWS it applies only to requests not
    made over TLS. The emulator's HTTP endpoint stands for AWS's HTTPS one, so
    requests count as secure transport.
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    original = IAMPolicyStatement.is_action_permitted
    secure = {"aws:securetransport": "true"}

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        for key, expected in (self._statement.get("Condition") or {}).get("Bool", {}).items():
            expected = expected if isinstance(expected, list) else [expected]
            if secure.get(key.lower()) not in {str(value).lower() for value in expected}:
                return PermissionResult.NEUTRAL  # condition false: the statement does not apply
        return original(self, action, resource, principal, incoming_condition_values)

    IAMPolicyStatement.is_action_permitted = is_action_permitted


def _portless_protocols() -> None:
    """Security-group rules for protocols without ports (IPsec ESP is IP protocol 50).

    AWS accepts them with no port range and applies them to the whole protocol;
    moto converts the missing ports with int(None) and answers HTTP 500.
    """
    from moto.ec2.models.security_groups import SecurityGroupRule

    original = SecurityGroupRule.__init__
    with_ports = {"tcp", "6", "udp", "17", "icmp", "1", "icmpv6", "58", "-1", "all"}

    def __init__(self, ec2_backend, ip_protocol, group_id, from_port, to_port, *args, **kwargs):
        if str(ip_protocol).lower() in with_ports or from_port is not None or to_port is not None:
            return original(self, ec2_backend, ip_protocol, group_id, from_port, to_port, *args, **kwargs)
        original(self, ec2_backend, "-1", group_id, None, None, *args, **kwargs)  # the portless path
        self.ip_protocol = str(ip_protocol)

    SecurityGroupRule.__init__ = __init__
    _modify_portless_rules()


def _modify_portless_rules() -> None:
    """ModifySecurityGroupRules of an all-traffic rule (`-1`) without ports: AWS takes it (ports mean
    nothing there); moto answers `InvalidParameterValue: Invalid value for portRange`. Seen when a
    recovery adopted AWS's default egress rule of a new group and Terraform then set its description."""
    from moto.ec2.models import EC2Backend

    original = EC2Backend.modify_security_group_rules

    def modify_security_group_rules(self, group_id, rules):
        group, kept = self.get_security_group_by_name_or_id(group_id), {}
        for rule_id, rule in list(rules.items()):
            existing = group.get_rule(rule_id) if group is not None else None
            if existing is not None and str(rule.get("IpProtocol")).lower() in ("-1", "all") and \
                    rule.get("FromPort") is None and rule.get("ToPort") is None:
                kept[rule_id] = (existing.from_port, existing.to_port)
                rules[rule_id] = {**rule, "FromPort": -1, "ToPort": -1}  # past moto's check, then put back
        original(self, group_id, rules)
        for rule_id, (from_port, to_port) in kept.items():
            group.get_rule(rule_id).from_port, group.get_rule(rule_id).to_port = from_port, to_port

    EC2Backend.modify_security_group_rules = modify_security_group_rules


def _group_rule_descriptions() -> None:
    """A rule that references a security group keeps its description.

    moto reads a rule's description from its CIDR range only, so rules whose
    source is another group came back without one and every plan re-set it.
    """
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self):
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)


def _zone_with_vpc_is_private() -> None:
    """CreateHostedZone with a VPC creates a private zone, flag or not (as in AWS).

    moto makes the zone public unless HostedZoneConfig.PrivateZone is set, which
    the provider does not send, so the zone's VPC association never read back.
    """
    from moto.route53.responses import Route53

    original = Route53.create_hosted_zone

    def create_hosted_zone(self):
        read_bool = self._get_bool_param

        def _get_bool_param(name, if_none=None):
            if name == "HostedZoneConfig.PrivateZone" and self._get_param("VPC.VPCId"):
                return True
            return read_bool(name, if_none)

        self._get_bool_param = _get_bool_param
        return original(self)

    Route53.create_hosted_zone = create_hosted_zone


def _zone_ids_start_with_z() -> None:
    """Hosted zone IDs start with "Z", as AWS's do (Z1D633PJN98FT9).

    moto draws all 22 characters at random, so its IDs fail the public_zone_id
    pattern that the configuration and the modules check (modules/configuration/limits.py).
    """
    from moto.route53.models import HostedZoneIdentifier

    original = HostedZoneIdentifier.generate

    def generate(self, *args, **kwargs):
        return "Z" + original(self, *args, **kwargs)[1:]

    HostedZoneIdentifier.generate = generate


def _instance_network_interface() -> None:
    """Instances launched with a network-interface specification (which the provider
    sends whenever associate_public_ip_address is set) get that interface's groups,
    and a public IP only when asked for one.

    In AWS an instance's security groups are its primary interface's. moto kept
    them on the interface only, so the instance showed none; and it took the
    spec's AssociatePublicIpAddress "false" as a truthy string.
    """
    from moto.ec2.models.instances import Instance

    original = Instance.prep_nics

    def prep_nics(self, nic_spec, *args, **kwargs):
        for nic in nic_spec or []:
            value = nic.get("AssociatePublicIpAddress")
            if isinstance(value, str):
                nic["AssociatePublicIpAddress"] = value.lower() == "true"
        original(self, nic_spec, *args, **kwargs)
        primary = self.nics.get(0)
        if not self.security_groups and primary is not None:
            self.security_groups = list(primary._group_set)

    Instance.prep_nics = prep_nics
    _primary_interface_groups_are_the_instance_groups()


def _primary_interface_groups_are_the_instance_groups() -> None:
    """ModifyNetworkInterfaceAttribute of an instance's primary interface changes the groups
    DescribeInstances shows for the instance (in AWS they are one list).

    The provider changes a running instance's vpc_security_group_ids that way; moto changed the
    interface only, so the instance kept its old groups and every later plan updated it again.
    """
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend

    original = NetworkInterfaceBackend.modify_network_interface_attribute

    def modify_network_interface_attribute(self, eni_id, group_ids, *args, **kwargs):
        original(self, eni_id, group_ids, *args, **kwargs)
        eni = self.get_network_interface(eni_id)
        if group_ids and eni.instance is not None and eni.device_index == 0:
            eni.instance.security_groups = list(eni._group_set)

    NetworkInterfaceBackend.modify_network_interface_attribute = modify_network_interface_attribute


def _no_public_ip_no_association() -> None:
    """An interface without a public IP has no Association element (as in AWS).

    moto sent an empty one, which the provider reads as "has a public IP": every
    private instance then planned a replacement for associate_public_ip_address.
    """
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    original = NetworkInterface.association.fget

    def association(self):
        return original(self) or None

    NetworkInterface.association = property(association)


def _load_balancer_default_scheme() -> None:
    """A load balancer created without a Scheme is internet-facing (AWS's default).

    The provider sends no Scheme for `internal = false`; moto stored None and
    listed the NLB with no scheme at all.
    """
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.create_load_balancer

    def create_load_balancer(self, *args, **kwargs):
        if kwargs.get("scheme") is None:
            kwargs["scheme"] = "internet-facing"
        return original(self, *args, **kwargs)

    ELBv2Backend.create_load_balancer = create_load_balancer


def _cloudfront_reads_back_what_was_sent() -> None:
    """A distribution reads back as it was created, as on AWS. moto adds ForwardedValues to a cache
    behaviour that uses a cache policy (AWS returns none: the two exclude each other), adds
    SSLSupportMethod "sni-only" to the default certificate (AWS returns none), and drops an
    origin's OriginAccessControlId. Each would be a diff on every plan."""
    from moto.cloudfront import models

    behaviour_init = models.DefaultCacheBehaviour.__init__

    def behaviour(self, config):
        behaviour_init(self, config)
        if "ForwardedValues" not in config:
            del self.forwarded_values

    certificate_init = models.ViewerCertificate.__init__

    def certificate(self, config):
        certificate_init(self, config)
        if not config.get("SSLSupportMethod"):
            del self.ssl_support_method

    origin_init = models.Origin.__init__

    def origin(self, config):
        origin_init(self, config)
        self.origin_access_control_id = config.get("OriginAccessControlId") or ""

    models.DefaultCacheBehaviour.__init__ = behaviour
    models.ViewerCertificate.__init__ = certificate
    models.Origin.__init__ = origin


# The hosted zone of each region's Classic ELB endpoints (AWS's "Elastic Load Balancing endpoints and
# quotas" table), which AWS reports as a classic load balancer's CanonicalHostedZoneNameID.
CLASSIC_ELB_ZONES = {"us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-1": "Z368ELLRRE2KJ0",
                     "us-west-2": "Z1H1FL5HABSF5", "eu-west-1": "Z32O12XQLNTSW2"}


def _classic_load_balancers_as_aws_lists_them() -> None:
    """Classic load balancers as AWS describes and lists them.

    - DescribeLoadBalancers gives each its region's CanonicalHostedZoneNameID (what an alias record
      to it names as its zone); moto gives none, and the provider's `aws_elb` reads "".
    - The resource-groups tagging API lists them as `elasticloadbalancing:loadbalancer`, the type it
      gives v2 load balancers too; moto files them as `elb:loadbalancer`, so a lookup of the
      cluster's load balancers by tags (the ingress tier's) never finds a classic one.
    - A load balancer created without a health check has AWS's default one (TCP to the first
      listener's instance port, every 30 s, timeout 5 s, thresholds 10 healthy and 2 unhealthy);
      moto has none, and the provider's `aws_elb` data source crashes reading it.
    """
    from moto.core.resource_tagging import TaggedResource
    from moto.elb.models import ELBBackend, FakeHealthCheck, LoadBalancer

    original_init = LoadBalancer.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if self.health_check is None and self.listeners:
            self.health_check = FakeHealthCheck(timeout="5", healthy_threshold="10", unhealthy_threshold="2",
                                                interval="30", target=f"TCP:{self.listeners[0].instance_port}")

    LoadBalancer.__init__ = __init__

    # moto's DNS name is <name>.<region>.elb.amazonaws.com, as AWS's.
    LoadBalancer.canonical_hosted_zone_name_id = property(
        lambda self: CLASSIC_ELB_ZONES.get(self.dns_name.split(".")[1], CLASSIC_ELB_ZONES["us-east-1"]))

    def iter_tagged_resources(self):
        for balancer in self.load_balancers.values():
            yield TaggedResource(
                arn=f"arn:aws:elasticloadbalancing:{self.region_name}:{self.account_id}:loadbalancer/{balancer.name}",
                tags=dict(balancer.tags or {}), resource_type="elasticloadbalancing:loadbalancer")

    ELBBackend.iter_tagged_resources = iter_tagged_resources
