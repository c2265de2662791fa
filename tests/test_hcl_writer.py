"""The HCL writer (modules/operations/hcl_writer.py): notation changes, never meaning."""
from __future__ import annotations

import json

import pytest

from modules.operations.hcl_writer import block, expression, key, string, template_parts


def test_a_string_that_is_one_interpolation_becomes_the_expression():
    assert string("${aws_vpc.cluster.id}") == "aws_vpc.cluster.id"
    assert string('${var.x == "a" ? "b" : "c"}') == 'var.x == "a" ? "b" : "c"'
    assert string("${{ for k, v in var.m : k => v }}") == "{ for k, v in var.m : k => v }"


def test_other_templates_stay_templates_and_only_their_literal_parts_are_escaped():
    assert string("${var.infra_id}-vpc") == '"${var.infra_id}-vpc"'
    assert string("${a}${b}") == '"${a}${b}"'
    assert string('say "hi" \\ ${lookup(m, "k")}') == '"say \\"hi\\" \\\\ ${lookup(m, "k")}"'
    assert string("$${not.interpolated}") == '"$${not.interpolated}"'
    assert string("${~ x}") == '"${~ x}"'  # a strip marker is kept as written


def test_compact_json_becomes_jsonencode_only_when_it_gives_back_the_same_bytes():
    policy = json.dumps({"Statement": [{"Action": "s3:GetObject", "Resource": "${aws_s3_bucket.b.arn}/*"}],
                         "Version": "2012-10-17"}, sort_keys=True, separators=(",", ":"))
    rendered = string(policy)
    assert rendered.startswith("jsonencode({") and 'Resource = "${aws_s3_bucket.b.arn}/*"' in rendered
    assert string('{"b":1,"a":2}').startswith('"')  # unsorted: jsonencode would reorder it
    assert string('{"a": 1}').startswith('"')  # spaced: jsonencode would compact it
    assert string('{"url":"https://h/?a=1&b=2"}').startswith('"')  # jsonencode escapes & as \u0026
    assert string('{"a":1.0}').startswith('"')  # jsonencode writes 1
    assert string('{"a":"\u2028"}').startswith('"')  # and escapes U+2028


def test_an_interpolation_inside_a_document_stays_a_string():
    """The JSON syntax pasted the value into a JSON string: a port stays "6443", never 6443.
    HCL would read "${var.port}" as the number itself, so a sole interpolation is tostring()."""
    assert string('{"port":"${var.port}"}') == "jsonencode({\n  port = tostring(var.port)\n})"
    assert string('{"url":"${var.host}/x"}') == 'jsonencode({\n  url = "${var.host}/x"\n})'


def test_the_terraform_and_module_blocks_are_literal():
    lines = block("module", ("m",), {"source": "./x/$${y}"}, 0, ("module",), frozenset())
    assert lines == ['module "m" {', '  source = "./x/$$${y}"', "}"]


def test_what_the_json_syntax_reads_literally_stays_literal():
    lines = block("variable", ("x",), {"description": "Costs ${5}, 100%{", "default": ["${a}"],
                                       "type": "list(string)"}, 0, ("variable",), frozenset())
    assert lines == ['variable "x" {', '  description = "Costs $${5}, 100%%{"', "  type = list(string)",
                     '  default = ["$${a}"]', "}"]


def test_multi_line_text_is_a_heredoc_that_ends_as_the_text_does():
    assert string("a\n\tb\n") == "<<EOT\na\n\tb\nEOT"
    assert string("a\nb") == "chomp(<<EOT\na\nb\nEOT\n)"
    assert string("EOT\nx\n") == "<<EOTX\nEOT\nx\nEOTX"
    assert string("a\n  EOT\nb\n") == "<<EOTX\na\n  EOT\nb\nEOTX"  # an indented marker ends a heredoc too
    # chomp() would also strip newlines the interpolation or a trailing \r brings: quoted instead.
    assert string("a\nb ${var.x}") == '"a\\nb ${var.x}"'
    assert string("a\nb\r") == '"a\\nb\\r"'


def test_keys_values_and_blocks():
    assert key("Name") == "Name" and key("kubernetes.io/role/elb") == '"kubernetes.io/role/elb"'
    assert key("true") == '"true"' and key("cluster/${var.id}") == '"cluster/${var.id}"'
    assert expression([1, None, True, "x"]) == '[1, null, true, "x"]'
    assert expression({}) == "{}"
    lines = block("resource", ("aws_instance", "m"), {
        "ami": "${var.ami}", "for_each": "${var.machines}", "root_block_device": {"volume_size": 120},
        "lifecycle": {"ignore_changes": ["ami"], "postcondition": [{"condition": "${self.id != \"\"}",
                                                                    "error_message": "no id"}]},
        "depends_on": ["aws_vpc.cluster"]}, 0, ("resource", "aws_instance"),
        frozenset({("resource", "aws_instance", "root_block_device")}))
    assert lines == [
        'resource "aws_instance" "m" {', "  for_each = var.machines", "", "  ami = var.ami", "",
        "  root_block_device {", "    volume_size = 120", "  }", "", "  depends_on = [aws_vpc.cluster]", "",
        "  lifecycle {", "    ignore_changes = [ami]", "", "    postcondition {", '      condition = self.id != ""',
        '      error_message = "no id"', "    }", "  }", "}"]


def test_an_unterminated_interpolation_is_an_error_not_a_guess():
    with pytest.raises(ValueError, match="unterminated"):
        template_parts("${var.x")
