"""The configuration's JSON Schemas and generated reference pages: current, valid, and as strict as the loader.

The schema and the loader are both rendered from the table of keys (configuration/keys.py) and
the limits (configuration/limits.py). Driven through both with the limits' boundary values and
the reliability tests' hostile configurations, they must agree: what the schema refuses the
loader refuses, and what the schema accepts the loader accepts, but for the rules a schema cannot
express, which the table lists (`Key.beyond`, `CROSS_KEY_RULES`).
"""
from __future__ import annotations

import ipaddress
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

import main
from conftest import FIXTURES, ROOT, make_install_dir, variant
from modules.configuration import EXAMPLE, ConfigError, load_configs, parse_config, parse_configs
from modules.configuration.keys import BY_PATH, CROSS_KEY_RULES, KEYS, REFERENCE_PAGE, key_of
from modules.configuration.limits import LIMITS, Cidr, Entries
from modules.configuration.loading import see
from modules.operations import reference
from test_limits import boundary_values
from test_reliability import MUTATIONS, mutate

CLUSTER = Draft202012Validator(json.loads((ROOT / reference.CLUSTER_SCHEMA).read_text()))
FLEET = Draft202012Validator(json.loads((ROOT / reference.FLEET_SCHEMA).read_text()))
EXPLAINED = {path for path, _ in CROSS_KEY_RULES} | {key.path for key in KEYS if key.beyond}
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def test_the_committed_schemas_and_reference_pages_are_current():
    for relative, text in reference.generated(main.parser(), main.EXIT_STATUSES).items():
        assert (ROOT / relative).read_text() == text, f"{relative} is stale: run `main.py config-schema`"


def test_config_schema_writes_only_what_changed(tmp_path):
    assert main.main(["config-schema", "--out", str(tmp_path)]) == 0
    written = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*") if path.is_file()}
    assert {path.relative_to(tmp_path) for path in written} == set(reference.generated(main.parser(),
                                                                                        main.EXIT_STATUSES))
    assert main.main(["config-schema", "--out", str(tmp_path)]) == 0
    assert {path: path.stat().st_mtime_ns for path in written} == written


def test_the_schemas_are_valid_json_schemas():
    Draft202012Validator.check_schema(CLUSTER.schema)
    Draft202012Validator.check_schema(FLEET.schema)


def loader_problems(document: Any) -> list[str]:
    try:
        parse_configs(document)
    except ConfigError as error:
        return error.problems
    return []


def assert_agree(document: Any) -> None:
    """The schema's verdict on `document` against the loader's, as the module docstring says; the fleet
    schema's on the same cluster in a fleet file is the cluster schema's."""
    problems = loader_problems(document)
    if isinstance(document, dict):
        assert FLEET.is_valid({"clusters": [document]}) == CLUSTER.is_valid(document)
    errors = list(CLUSTER.iter_errors(document))
    if errors:
        assert problems, f"the schema refuses what the loader accepts: {document}"
        for error in errors:  # a refusal of a key is the loader's refusal of that key (or of one inside it)
            if error.absolute_path:
                top = str(error.absolute_path[0])
                assert any(problem.startswith((f"{top}:", f"{top}.", f"{top}[")) for problem in problems), \
                    f"the schema refuses {top}, the loader other keys: {problems}"
        return
    for problem in problems:
        key = key_of(problem.split(":", 1)[0])
        assert key is not None and key.path in EXPLAINED, \
            f"the schema accepts, the loader refuses for a rule the table does not list: {problem}"


def beyond_the_schema(limit, value: Any) -> bool:
    """Whether the limit refuses `value` for what a schema cannot say: a CIDR's host bits or its
    range, an entry listed twice by name."""
    if isinstance(limit, Cidr):
        network = ipaddress.ip_network(value, strict=False)
        return str(network) != value or bool(limit.within) and not any(
            network.subnet_of(ipaddress.ip_network(block)) for block in limit.within)
    if isinstance(limit, Entries):
        names = [entry.get(limit.key) for entry in value]
        return len(set(names)) != len(names) or any(
            beyond_the_schema(inner, entry[name]) for entry in value for name, inner in limit.attributes
            if entry.get(name) is not None and inner.problem(entry[name]) is not None)
    return False


@pytest.mark.parametrize("field", [field for field in LIMITS if field.cases], ids=lambda field: field.path)
def test_each_limit_and_its_schema_agree_on_its_boundary_values(field):
    schema = Draft202012Validator(field.limit.schema())
    for value in boundary_values(field):
        refused = field.limit.problem(value) is not None
        if schema.is_valid(value) == refused:
            assert refused and beyond_the_schema(field.limit, value), (field.path, value)


def boundary_documents():
    for field in LIMITS:
        for value in boundary_values(field):
            yield pytest.param(mutate(tuple(field.path.split(".")), value), id=f"{field.path}={json.dumps(value)[:40]}")


@pytest.mark.parametrize("document", list(boundary_documents()))
def test_schema_and_loader_agree_on_every_boundary_value(document):
    assert_agree(document)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MUTATIONS)
def test_schema_and_loader_agree_on_hostile_configurations(mutation):
    path, value, _ = mutation
    assert_agree(mutate(path, value))


def full_document(tmp_path: Path) -> dict[str, Any]:
    """Every key of the table written out with its default (null where the default is derived), in the
    blocks that need others set (an existing VPC, credentials): what `null means the default` promises."""
    requests, key = tmp_path / "requests", tmp_path / "signer.public"
    shutil.copytree(FIXTURES / "credrequests", requests)
    shutil.copy(FIXTURES / "sts" / "serviceaccount-signer.public", key)
    document = variant(existing_vpc={"vpc_id": "vpc-0123abcd", "subnets": {
        az: {"private": f"subnet-0{i}23abcd", "public": f"subnet-1{i}23abcd"}
        for i, az in enumerate(EXAMPLE["availability_zones"])}},
        credentials={"requests_dir": str(requests), "public_key": str(key)}, ingress={},
        edge_zones=[{"name": "us-east-1-nyc-1a", "public_subnet_id": "subnet-0123abcf"}])
    for entry in KEYS:
        optional_block = entry.kind == "mapping" and entry.default is None  # set above
        scalar_default = entry.default is None or isinstance(entry.default, (str, int, bool))  # not REQUIRED, [], {}
        if optional_block or "<az>" in entry.path or entry.path in document or not scalar_default:
            continue
        *parents, name = entry.path.replace("[]", "").split(".")
        target = document
        for parent in parents:
            target = target.setdefault(parent, {}) if not isinstance(target.get(parent), list) else target[parent][0]
        target.setdefault(name, entry.default)
    return document


def test_every_key_of_the_table_is_read_and_its_default_is_accepted_by_both(tmp_path):
    document = full_document(tmp_path)
    written = {key.path for key in KEYS if _holds(document, key.path)}
    assert len(written) > 60  # nearly every key (blocks keyed by zone and list defaults aside)
    assert CLUSTER.validate(document) is None
    parse_config(document)  # an unknown key (one the loader does not read) would be refused here


def _holds(document: dict[str, Any], path: str) -> bool:
    target: Any = document
    for part in path.split("."):
        if part.endswith("[]"):
            target = target.get(part[:-2]) or [{}]
            target = target[0]
            continue
        if not isinstance(target, dict) or part not in target:
            return False
        target = target[part]
    return True


def test_every_problem_names_its_key_in_the_reference(tmp_path):
    page = (ROOT / REFERENCE_PAGE).read_text()
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', page))
    assert anchors == {key.anchor for key in KEYS}
    problems = loader_problems(variant(vpc_cidr="11.0.0.0/16", edge_zones=[{"name": "us-east-1-nyc-1a", "size": 1}],
                                       existing_vpc={"vpc_id": "vpc-0123abcd", "subnets": {"us-east-1a": {"private": 1}}},
                                       tags={"aws:x": "y"}))
    assert len(problems) >= 4
    for problem in problems:
        named = see(problem)
        assert named.startswith(f" (see {REFERENCE_PAGE}#"), problem
        assert named[len(f" (see {REFERENCE_PAGE}#"):-1] in anchors
    assert see("clusters[1].vpc_cidr: x") == f" (see {BY_PATH['vpc_cidr'].page})"
    assert see("the document must be a mapping of keys to values, got a list") == " (see docs/configuration.md)"


@pytest.mark.parametrize("typo, meant", [("availability_zone", "availability_zones"), ("vpc-cidr", "vpc_cidr"),
                                         ("ignition_CA", "ignition_ca"), ("bootstrap.ignitoin", "ignition")])
def test_an_unknown_key_names_the_closest_known_one(typo, meant):
    *parents, name = typo.split(".")
    document = variant()
    (document[parents[0]] if parents else document)[name] = document.get(meant, "x")
    problems = loader_problems(document)
    assert any(f"{typo}: unknown key; did you mean `{meant}`?" in problem for problem in problems), problems


def test_an_unknown_key_far_from_every_known_one_gets_no_guess():
    problems = loader_problems(variant(zzz=1))
    assert any(problem.startswith("zzz: unknown key; accepted keys are") for problem in problems), problems


def test_every_example_configuration_carries_its_schema_and_is_valid_to_both(tmp_path):
    assert {path.name for path in EXAMPLES} >= {"cluster.yaml", "fleet.yaml"}
    for path in EXAMPLES:
        text = path.read_text()
        document = yaml.safe_load(text)
        fleet = "clusters" in document
        schema = "fleet" if fleet else "cluster"
        assert text.startswith(f"# yaml-language-server: $schema=../schema/{schema}.schema.json\n"), path.name
        assert (FLEET if fleet else CLUSTER).validate(document) is None
        copied = tmp_path / path.name
        shutil.copy(path, copied)
        if document.get("openshift_install_dir"):
            make_install_dir(tmp_path / document["openshift_install_dir"])
        assert load_configs(copied)  # the loader takes it as written


def test_the_effective_configuration_validates_against_the_schema(capsys):
    assert main.main(["config"], env={}) == 0
    CLUSTER.validate(json.loads(capsys.readouterr().out))
    fleet = yaml.safe_load((ROOT / "examples" / "fleet.yaml").read_text())
    FLEET.validate({"clusters": [config.to_document() for config in parse_configs(fleet)]})


def test_the_key_table_and_the_limits_table_name_the_same_limit_for_a_key():
    for field in LIMITS:
        key = key_of(field.path)
        assert key is not None and key.path == field.path.replace("[]", ""), field.path
        if field.path == "edge_zones":  # the loader reads it entry by entry, each field through its own key
            assert key.limit is None and key.expected == field.limit.accepted
            assert {BY_PATH[f"edge_zones[].{name}"].limit for name, _ in field.limit.attributes} == \
                {limit for _, limit in field.limit.attributes}
            continue
        assert key.limit is field.limit, field.path

