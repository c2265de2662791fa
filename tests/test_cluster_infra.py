"""Cluster-infra tier (02): zone, records, NLBs, listeners and target groups, per publish and partition."""
from __future__ import annotations

import json
import re

import pytest

TARGETS = {  # from 02_cluster_infra.yaml: key -> (load balancer, port, health check path, name suffix)
    "external_api": ("external", 6443, "/readyz", "aext"),
    "internal_api": ("internal", 6443, "/readyz", "aint"),
    "internal_service": ("internal", 22623, "/healthz", "sint"),
}


def addresses(stack):
    """Every resource and data source instance address a plan would show."""
    found = set()
    for section, prefix in (("resource", ""), ("data", "data.")):
        for kind, blocks in stack.get(section, {}).items():
            for name, block in blocks.items():
                keys = block.get("for_each")
                found |= {f'{prefix}{kind}.{name}["{k}"]' for k in keys} if keys else {f"{prefix}{kind}.{name}"}
    return found


def test_private_zone_is_associated_with_the_vpc_and_owned(synthesized):
    zone = synthesized.resources("default", "cluster-infra", "aws_route53_zone")["private"]
    assert zone["name"] == "ocp4.example.com"
    assert zone["vpc"] == [{"vpc_id": "${data.terraform_remote_state.network.outputs.vpc_id}",
                            "vpc_region": "us-east-1"}]
    assert zone["tags"] == {"Name": "ocp4-x7k2q-int", "kubernetes.io/cluster/ocp4-x7k2q": "owned"}


def test_load_balancers(synthesized):
    lbs = synthesized.resources("default", "cluster-infra", "aws_lb")
    assert lbs["external"]["name"] == "ocp4-x7k2q-ext" and lbs["external"]["internal"] is False
    assert lbs["external"]["subnets"] == "${data.terraform_remote_state.network.outputs.public_subnet_ids}"
    assert lbs["internal"]["name"] == "ocp4-x7k2q-int" and lbs["internal"]["internal"] is True
    assert lbs["internal"]["subnets"] == "${data.terraform_remote_state.network.outputs.private_subnet_ids}"
    for lb in lbs.values():
        assert lb["load_balancer_type"] == "network" and lb["ip_address_type"] == "ipv4"


@pytest.mark.parametrize("key", sorted(TARGETS))
def test_target_group_and_listener(synthesized, key):
    lb, port, path, suffix = TARGETS[key]
    groups = synthesized.resources("default", "cluster-infra", "aws_lb_target_group")["api"]
    row = groups["for_each"][key]
    assert (row["name"], row["port"], row["path"]) == (f"ocp4-x7k2q-{suffix}", port, path)
    assert row["load_balancer_arn"] == f"${{aws_lb.{lb}.arn}}"
    assert (groups["name"], groups["port"]) == ("${each.value.name}", "${each.value.port}")
    assert (groups["protocol"], groups["target_type"], groups["deregistration_delay"]) == ("TCP", "ip", "60")
    assert groups["vpc_id"] == "${data.terraform_remote_state.network.outputs.vpc_id}"
    assert groups["health_check"] == {"protocol": "HTTPS", "path": "${each.value.path}", "port": "${each.value.port}",
                                      "interval": 10, "healthy_threshold": 2, "unhealthy_threshold": 2}
    listener = synthesized.resources("default", "cluster-infra", "aws_lb_listener")["api"]
    assert listener["for_each"][key]["load_balancer_arn"] == f"${{aws_lb.{lb}.arn}}"
    assert (listener["port"], listener["protocol"]) == ("${each.value.port}", "TCP")
    assert listener["default_action"] == [{"type": "forward", "target_group_arn": "${aws_lb_target_group.api[each.key].arn}"}]


def test_api_records_point_at_the_load_balancers(synthesized):
    records = synthesized.resources("default", "cluster-infra", "aws_route53_record")
    public = records["external_api"]
    assert (public["name"], public["type"]) == ("api.ocp4.example.com", "A")
    assert public["zone_id"] == "${data.aws_route53_zone.public.zone_id}"  # looked up: public_zone_id is null
    assert public["alias"] == {"name": "${aws_lb.external.dns_name}", "zone_id": "${aws_lb.external.zone_id}",
                               "evaluate_target_health": False}
    for name, fqdn in (("api", "api.ocp4.example.com"), ("api_int", "api-int.ocp4.example.com")):
        record = records[name]
        assert (record["name"], record["type"]) == (fqdn, "A")
        assert record["zone_id"] == "${aws_route53_zone.private.zone_id}"
        assert record["alias"]["name"] == "${aws_lb.internal.dns_name}"
    lookup = synthesized.stack("default", "cluster-infra")["data"]["aws_route53_zone"]["public"]
    assert (lookup["name"], lookup["private_zone"]) == ("example.com", False)


def test_given_public_zone_id_needs_no_lookup(synthesized):
    stack = synthesized.stack("long_names", "cluster-infra")
    assert stack["resource"]["aws_route53_record"]["external_api"]["zone_id"] == "Z0123456789ABCDEFGHIJ"
    assert "aws_route53_zone" not in stack.get("data", {})


def test_internal_publish_drops_exactly_the_external_pieces(synthesized):
    external = synthesized.stack("default", "cluster-infra")
    internal = synthesized.stack("internal", "cluster-infra")
    assert addresses(external) - addresses(internal) == {
        "aws_lb.external", 'aws_lb_target_group.api["external_api"]', 'aws_lb_listener.api["external_api"]',
        "aws_route53_record.external_api", "data.aws_route53_zone.public"}
    assert addresses(internal) <= addresses(external)
    # What remains is configured identically.
    for kind in ("aws_route53_zone", "aws_route53_record"):
        for name, block in internal["resource"][kind].items():
            assert block == external["resource"][kind][name], (kind, name)
    assert internal["resource"]["aws_lb"]["internal"] == external["resource"]["aws_lb"]["internal"]
    assert not {k for k in internal["output"] if k.startswith("external")}


def test_govcloud_private_records_are_cnames(synthesized):
    stack = synthesized.stack("govcloud", "cluster-infra")
    records = stack["resource"]["aws_route53_record"]
    assert set(records) == {"api", "api_int"}  # Internal only: no public record
    for name in ("api", "api_int"):
        assert records[name]["type"] == "CNAME" and records[name]["ttl"] == 10
        assert records[name]["records"] == ["${aws_lb.internal.dns_name}"]
        assert "alias" not in records[name]
    assert set(stack["resource"]["aws_lb"]) == {"internal"}


@pytest.mark.parametrize("name", ["default", "govcloud", "china"])
def test_no_partition_is_hard_coded(synthesized, name):
    assert "arn:" not in json.dumps(synthesized.stack(name, "cluster-infra"))


def test_longest_infra_id_still_yields_valid_aws_names(synthesized):
    infra_id = synthesized.configs["long_names"].infra_id
    assert len(infra_id) == 27
    stack = synthesized.stack("long_names", "cluster-infra")["resource"]
    names = [lb["name"] for lb in stack["aws_lb"].values()]
    names += [row["name"] for row in stack["aws_lb_target_group"]["api"]["for_each"].values()]
    assert sorted(names) == sorted(f"{infra_id}-{s}" for s in ("ext", "int", "aext", "aint", "sint"))
    for lb_name in names:  # ELB's rule for load balancer and target group names
        assert len(lb_name) <= 32 and re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", lb_name), lb_name


def test_too_long_infra_id_is_refused_before_synthesis():
    from modules.configuration import ConfigError, parse_config
    from conftest import variant

    with pytest.raises(ConfigError) as caught:
        parse_config(variant(infra_id="a" * 22 + "-x7k2q"))
    assert caught.value.problems[0].startswith("infra_id:")
    assert "28 characters long" in caught.value.problems[0] and "'<infra_id>-aext' fits" in caught.value.problems[0]


def test_outputs_are_named_for_consumers(synthesized):
    outputs = synthesized.stack("default", "cluster-infra")["output"]
    assert set(outputs) == {
        "private_zone_id", "api_server_dns_name", "internal_api_lb_dns_name", "internal_api_lb_zone_id",
        "external_api_lb_dns_name", "external_api_lb_zone_id", "target_group_arns",
        "external_api_target_group_arn", "internal_api_target_group_arn", "internal_service_target_group_arn"}
    assert outputs["api_server_dns_name"]["value"] == "api-int.ocp4.example.com"
