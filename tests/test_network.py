"""Network tier (01) as synthesized: per-AZ resources, routes, endpoints, options, backend, tags."""
from __future__ import annotations

import json

import pytest

PER_AZ = {
    "aws_subnet": ("public", "private"),
    "aws_route_table": ("private",),
    "aws_route_table_association": ("public", "private"),
    "aws_eip": ("nat",),
    "aws_nat_gateway": ("nat",),
    "aws_route": ("private_nat",),
}
SHARED = {"aws_vpc": "cluster", "aws_internet_gateway": "cluster", "aws_route_table": "public",
          "aws_route": "public_internet", "aws_vpc_endpoint": "s3"}


@pytest.mark.parametrize("name, azs", [
    ("one_az", ["us-east-1a"]), ("two_az", ["us-east-1a", "us-east-1b"]),
    ("default", ["us-east-1a", "us-east-1b", "us-east-1c"])])
def test_one_instance_per_az_of_each_per_az_resource(synthesized, name, azs):
    stack = synthesized.stack(name, "network")["resource"]
    for kind, names in PER_AZ.items():
        for resource in names:
            assert list(stack[kind][resource]["for_each"]) == azs, (kind, resource)
    for kind, resource in SHARED.items():
        assert "for_each" not in stack[kind][resource], (kind, resource)
    counted = sum(len(b.get("for_each", {None: 0})) for blocks in stack.values() for b in blocks.values())
    per_az = sum(len(names) for names in PER_AZ.values())
    assert counted == len(SHARED) + per_az * len(azs)


def test_adding_an_az_only_adds_keys(synthesized):
    """2 -> 3 AZs: every resource keeps its address and arguments; for_each maps and
    the lists naming every AZ (endpoint route tables, outputs) are all that change."""
    two = synthesized.stack("two_az", "network")["resource"]
    three = synthesized.stack("default", "network")["resource"]
    assert two.keys() == three.keys()
    for kind in three:
        assert two[kind].keys() == three[kind].keys(), kind
        for name, block in three[kind].items():
            before = two[kind][name]
            changed = {k for k in block.keys() | before.keys() if block.get(k) != before.get(k)}
            if "for_each" in block:
                assert changed == {"for_each"}, (kind, name, changed)
                assert before["for_each"].items() <= block["for_each"].items()  # same index per AZ
            elif (kind, name) == ("aws_vpc_endpoint", "s3"):
                assert changed == {"route_table_ids"}
            else:
                assert not changed, (kind, name, changed)


def test_subnets_are_carved_as_the_reference_template_does(synthesized):
    subnets = synthesized.resources("default", "network", "aws_subnet")
    assert subnets["public"]["cidr_block"] == '${cidrsubnet("10.0.0.0/16", 4, each.value)}'
    assert subnets["private"]["cidr_block"] == '${cidrsubnet("10.0.0.0/16", 4, (each.value + 3))}'
    custom = synthesized.resources("custom_cidr", "network", "aws_subnet")
    assert custom["public"]["cidr_block"] == '${cidrsubnet("172.20.0.0/20", 4, each.value)}'  # /20 -> /24
    for subnet in subnets.values():
        assert subnet["availability_zone"] == "${each.key}"
        assert subnet["vpc_id"] == "${aws_vpc.cluster.id}"


def test_vpc_has_dns_support_and_hostnames(synthesized):
    vpc = synthesized.resources("default", "network", "aws_vpc")["cluster"]
    assert vpc["cidr_block"] == "10.0.0.0/16"
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True


def test_routes(synthesized):
    stack = synthesized.stack("default", "network")["resource"]
    public = stack["aws_route"]["public_internet"]
    assert public["destination_cidr_block"] == "0.0.0.0/0"
    assert public["gateway_id"] == "${aws_internet_gateway.cluster.id}"
    assert public["route_table_id"] == "${aws_route_table.public.id}"
    private = stack["aws_route"]["private_nat"]
    assert private["destination_cidr_block"] == "0.0.0.0/0"
    assert private["nat_gateway_id"] == "${aws_nat_gateway.nat[each.key].id}"
    assert private["route_table_id"] == "${aws_route_table.private[each.key].id}"
    nat = stack["aws_nat_gateway"]["nat"]
    assert nat["subnet_id"] == "${aws_subnet.public[each.key].id}"  # NAT of an AZ sits in its public subnet
    assert nat["allocation_id"] == "${aws_eip.nat[each.key].id}"
    associations = stack["aws_route_table_association"]
    assert associations["public"]["route_table_id"] == "${aws_route_table.public.id}"
    assert associations["private"]["route_table_id"] == "${aws_route_table.private[each.key].id}"
    assert associations["private"]["subnet_id"] == "${aws_subnet.private[each.key].id}"


def test_s3_gateway_endpoint_on_every_route_table(synthesized):
    for name in ("default", "restricted"):
        endpoint = synthesized.resources(name, "network", "aws_vpc_endpoint")["s3"]
        azs = synthesized.configs[name].availability_zones
        assert endpoint["vpc_endpoint_type"] == "Gateway"
        assert endpoint["service_name"] == f"com.amazonaws.{synthesized.configs[name].region}.s3"
        assert endpoint["route_table_ids"] == (
            "${concat([aws_route_table.public.id], [for az in " + json.dumps(list(azs)).replace('","', '", "')
            + " : aws_route_table.private[az].id])}")


def test_subnets_carry_the_cluster_and_role_tags(synthesized):
    subnets = synthesized.resources("default", "network", "aws_subnet")
    for role, subnet in (("elb", subnets["public"]), ("internal-elb", subnets["private"])):
        assert subnet["tags"]["kubernetes.io/cluster/ocp4-x7k2q"] == "shared"
        assert subnet["tags"][f"kubernetes.io/role/{role}"] == "1"


def test_no_network_acl_or_interface_endpoints_by_default(synthesized):
    stack = synthesized.stack("default", "network")["resource"]
    assert "aws_network_acl" not in stack and "aws_network_acl_rule" not in stack
    assert set(stack["aws_vpc_endpoint"]) == {"s3"}


def test_network_acl_opens_the_documented_ports_and_what_the_cluster_needs(synthesized):
    stack = synthesized.stack("restricted", "network")["resource"]
    rules = stack["aws_network_acl_rule"]["public"]["for_each"]
    tcp_in = {(r["from_port"], r["to_port"]) for r in rules.values() if r["protocol"] == "tcp" and not r["egress"]}
    assert tcp_in == {(80, 80), (443, 443), (22, 22), (1024, 65535)}  # SPEC 2.2
    assert any(r["protocol"] == "udp" and (r["from_port"], r["to_port"]) == (1024, 65535) for r in rules.values())
    assert any(r["protocol"] == "icmp" for r in rules.values())
    assert {r["cidr_block"] for r in rules.values() if r["protocol"] == "-1" and not r["egress"]} == {"10.0.0.0/16"}
    egress = [r for r in rules.values() if r["egress"]]
    assert [(r["protocol"], r["cidr_block"]) for r in egress] == [("-1", "0.0.0.0/0")]
    numbers = [(r["egress"], r["rule_number"]) for r in rules.values()]
    assert len(numbers) == len(set(numbers))  # AWS rejects two rules with one number
    association = stack["aws_network_acl_association"]["public"]
    assert list(association["for_each"]) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert association["subnet_id"] == "${aws_subnet.public[each.key].id}"


def test_restricted_network_adds_private_interface_endpoints_and_can_drop_nat(synthesized):
    stack = synthesized.stack("restricted", "network")["resource"]
    endpoints = stack["aws_vpc_endpoint"]["interface"]
    assert endpoints["for_each"] == {s: f"com.amazonaws.us-east-1.{s}" for s in ("ec2", "elasticloadbalancing", "sts")}
    assert endpoints["private_dns_enabled"] is True
    assert endpoints["vpc_endpoint_type"] == "Interface"
    assert "aws_subnet.private[az].id" in endpoints["subnet_ids"]
    ingress = stack["aws_vpc_security_group_ingress_rule"]["endpoints_https"]
    assert (ingress["ip_protocol"], ingress["from_port"], ingress["to_port"], ingress["cidr_ipv4"]) == \
        ("tcp", 443, 443, "10.0.0.0/16")
    assert stack["aws_vpc_security_group_egress_rule"]["endpoints_all"]["ip_protocol"] == "-1"
    for kind in ("aws_nat_gateway", "aws_eip"):
        assert kind not in stack
    assert "private_nat" not in stack["aws_route"]


def test_china_interface_endpoint_names_carry_the_partition_prefix(synthesized):
    from modules.configuration.regions import AWS_CN
    assert AWS_CN.interface_endpoint_prefix == "cn.com.amazonaws"
    assert synthesized.resources("china", "network", "aws_vpc_endpoint")["s3"]["service_name"] == \
        "com.amazonaws.cn-north-1.s3"


def test_outputs_are_named_for_consumers(synthesized):
    outputs = synthesized.stack("default", "network")["output"]
    assert set(outputs) == {"vpc_id", "vpc_cidr", "availability_zones", "public_subnet_ids",
                            "private_subnet_ids", "public_route_table_id", "private_route_table_ids"}
    assert all(o["description"] for o in outputs.values())
    assert outputs["private_subnet_ids"]["value"].startswith('${[for az in ["us-east-1a", "us-east-1b", "us-east-1c"]')


def test_s3_backend_with_lock_file(synthesized):
    backend = synthesized.stack("default", "network")["terraform"]["backend"]["s3"]
    assert backend == {"bucket": "ocp4-x7k2q-tfstate", "key": "ocp-upi-tf/ocp4/network/terraform.tfstate",
                       "region": "us-east-1", "encrypt": True, "use_lockfile": True}
    custom = synthesized.stack("restricted", "network")["terraform"]["backend"]["s3"]
    assert custom["bucket"] == "acme-ocp-state" and custom["region"] == "us-west-2"
    assert custom["key"] == "platform/ocp/ocp4/network/terraform.tfstate"
    assert custom["dynamodb_table"] == "acme-ocp-locks" and custom["use_lockfile"] is True
    assert custom["endpoints"] == {"s3": "http://127.0.0.1:5000", "sts": "http://127.0.0.1:5000"}
    assert custom["use_path_style"] is True


def test_provider_default_tags_and_endpoints(synthesized):
    [provider] = synthesized.stack("default", "network")["provider"]["aws"]
    assert provider["region"] == "us-east-1"
    assert provider["default_tags"] == [{"tags": {"owner": "platform-team"}}]
    assert "endpoints" not in provider
    [custom] = synthesized.stack("restricted", "network")["provider"]["aws"]
    assert custom["endpoints"] == [{"s3": "http://127.0.0.1:5000", "sts": "http://127.0.0.1:5000",
                                    "ec2": "http://127.0.0.1:5000"}]
    assert custom["s3_use_path_style"] is True


def test_output_has_no_absolute_path(synthesized):
    for name in synthesized.configs:
        for path in synthesized.outdir(name).rglob("*.json"):
            text = path.read_text()
            assert str(synthesized.root) not in text and "/work/" not in text and '"/tmp' not in text, path
