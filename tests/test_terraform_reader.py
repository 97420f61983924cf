"""tests/terraform_reader.py: the offline Terraform reading, on every stack we ship or test.

Expected behaviour comes from Terraform's JSON syntax: every string is an HCL
template (``${x}`` a reference, ``$${x}`` the literal text), and
meta-arguments are bare expressions.
https://developer.hashicorp.com/terraform/language/syntax/json
"""

from __future__ import annotations

import copy

import pytest

from modules.contract.validation import load_config, parse_config
from tests.conftest import EXAMPLE_CONFIG, ROOT, VARIANTS_TOML, synth_all
from tests.helpers import named, only
from tests.terraform_reader import literal_value, stack_problems, template_references

# Every configuration we ship or test: the example, the variants, the managed
# Auth0 stream, object lock on, Athena off.
CONFIGURATIONS = {
    "example": lambda: load_config(EXAMPLE_CONFIG),
    "variants": lambda: parse_config(VARIANTS_TOML, "variants.toml"),
    "auth0-managed": lambda: load_config(ROOT / "examples" / "auth0-managed.toml"),
    "object-lock": lambda: parse_config(
        VARIANTS_TOML.replace(
            "[environments.minimal]",
            '[environments.minimal]\nobject_lock_mode = "compliance"\nobject_lock_days = 365',
        ),
        "lock.toml",
    ),
    "athena-off": lambda: parse_config(
        VARIANTS_TOML.replace("[environments.minimal]", "[environments.minimal]\nathena = false"), "off.toml"
    ),
}


@pytest.fixture(scope="module")
def every_stack(example_stacks: dict, variant_stacks: dict) -> dict[str, dict]:
    documents = {f"example/{name}": doc for name, doc in example_stacks.items()}
    documents |= {f"variants/{name}": doc for name, doc in variant_stacks.items()}
    for configuration in ("auth0-managed", "object-lock", "athena-off"):
        for name, doc in synth_all(CONFIGURATIONS[configuration]()).items():
            documents[f"{configuration}/{name}"] = doc
    return documents


def test_every_stack_reads_as_terraform_reads_it(every_stack: dict[str, dict]) -> None:
    assert len(every_stack) == 3 + 2 + 2 + 2 + 2
    problems = [line for name, doc in every_stack.items() for line in stack_problems(doc, name)]
    assert problems == []


def test_every_stack_requires_a_terraform_with_s3_native_locking(every_stack: dict[str, dict]) -> None:
    # use_lockfile in the S3 backend is Terraform 1.10+.
    for name, doc in every_stack.items():
        assert doc["terraform"]["required_version"] == ">= 1.10", name


def test_the_old_glue_location_template_is_refused(prod: dict) -> None:
    broken = copy.deepcopy(prod)
    table_name, table = named(broken, "aws_glue_catalog_table", "queries_table")
    bucket, _ = named(broken, "aws_s3_bucket", "archive_bucket")
    table["parameters"]["storage.location.template"] = f"s3://${{aws_s3_bucket.{bucket}.id}}/logs/${{dt}}/"
    assert stack_problems(broken, "prod") == [
        f"prod: aws_glue_catalog_table.{table_name}: parameters.storage.location.template: ${{dt}}: "
        'a reference to a resource type must be followed by at least one attribute access ("dt")'
    ]


def test_the_old_replace_triggered_by_is_refused(every_stack: dict[str, dict]) -> None:
    broken = copy.deepcopy(every_stack["auth0-managed/prod"])
    bus_name, bus = only(broken, "aws_cloudwatch_event_bus")
    bus["lifecycle"] = {"replace_triggered_by": ["${auth0_log_stream.auth0_log_stream}"]}
    (problem,) = stack_problems(broken, "prod")
    assert problem.startswith(
        f"prod: aws_cloudwatch_event_bus.{bus_name}: lifecycle.replace_triggered_by: "
        "'${auth0_log_stream.auth0_log_stream}' is not a bare expression (Terraform: Invalid character;"
    )
    bus["lifecycle"] = {"replace_triggered_by": ["auth0_log_stream.auth0_log_stream"]}
    assert stack_problems(broken, "prod") == []


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        (
            {"name": "${aws_s3_bucket.nowhere.id}"},
            'name: ${aws_s3_bucket.nowhere.id}: no resource of type "aws_s3_bucket"',
        ),
        ({"name": "${aws_sqs_queue}"}, "name: ${aws_sqs_queue}: a reference to a resource type must be followed"),
        (
            {"name": "${aws_sqs_queue.other.arn}"},
            "name: ${aws_sqs_queue.other.arn}: aws_sqs_queue.other is not declared",
        ),
        ({"name": "${var.missing}"}, "name: ${var.missing}: var.missing is not declared"),
        ({"name": "${local.missing}"}, "name: ${local.missing}: local.missing is not declared"),
        (
            {"name": "${data.aws_region.current.name}"},
            "name: ${data.aws_region.current.name}: data.aws_region.current is not declared",
        ),
        ({"name": "${each.key}"}, "name: ${each.key}: each.* needs for_each on the block"),
        ({"name": "${count.index}"}, "name: ${count.index}: count.* needs count on the block"),
        ({"name": "${upper(var.missing)}"}, "name: ${var.missing}: var.missing is not declared"),
        ({"tags": {"a": "x ${unterminated"}}, "tags.a: not a valid template"),
        ({"tags": {"a": "100%{ if x }"}}, "tags.a: not a valid template"),
        ({"depends_on": ["${aws_sqs_queue.q}"]}, "depends_on: '${aws_sqs_queue.q}' is not a bare expression"),
        ({"depends_on": ["aws_sqs_queue.nope"]}, "depends_on: aws_sqs_queue.nope: aws_sqs_queue.nope is not declared"),
        ({"provider": "aws.west"}, "provider: 'aws.west' is not a declared provider configuration"),
        (
            {"lifecycle": {"ignore_changes": ["${tags}"]}},
            "lifecycle.ignore_changes: '${tags}' is not a bare expression",
        ),
        ({"lifecycle": {"prevent_destroy": "true"}}, "lifecycle.prevent_destroy: expected true or false"),
    ],
)
def test_what_terraform_would_refuse_is_named_by_resource_and_attribute(attributes: dict, problem: str) -> None:
    document = {
        "provider": {"aws": [{"region": "eu-west-1"}]},
        "resource": {"aws_sqs_queue": {"q": {"name": "q"}, "r": {"name": "r", **attributes}}},
    }
    found = stack_problems(document, "s")
    assert len(found) == 1, found
    assert found[0].startswith(f"s: aws_sqs_queue.r: {problem}")


@pytest.mark.parametrize(
    "attributes",
    [
        {"name": "${aws_sqs_queue.q.name}-dlq"},
        {"name": "$${not_a_reference}"},  # the literal text ${not_a_reference}
        {"name": "100%% of ${aws_sqs_queue.q.arn}"},
        {"name": '${jsonencode({a = aws_sqs_queue.q.arn, "b" = 1})}'},
        {"name": "${[for v in [aws_sqs_queue.q]: v.arn]}"},
        {"name": "${path.module}/${terraform.workspace}"},
        {"name": "x", "count": 2, "tags": {"i": "${count.index}"}},
        {"depends_on": ["aws_sqs_queue.q"], "provider": "aws"},
        {"lifecycle": {"ignore_changes": ["tags"], "replace_triggered_by": ["aws_sqs_queue.q.id"]}},
        {"lifecycle": {"ignore_changes": "all"}},
    ],
)
def test_what_terraform_accepts_passes(attributes: dict) -> None:
    document = {
        "provider": {"aws": [{"region": "eu-west-1"}]},
        "resource": {"aws_sqs_queue": {"q": {"name": "q"}, "r": {"name": "r", **attributes}}},
    }
    assert stack_problems(document, "s") == []


def test_the_terraform_block_takes_no_interpolation() -> None:
    document = {"terraform": {"backend": {"s3": {"bucket": "${var.bucket}"}}}, "variable": {"bucket": {}}}
    assert stack_problems(document, "s") == [
        "s: terraform.backend.s3.bucket: no interpolation is allowed in the terraform block, got '${var.bucket}'"
    ]


def test_literal_value_resolves_escapes_and_references() -> None:
    # Terraform's escapes: $${ is ${, %%{ is %{; \n in the JSON string is already a newline.
    assert literal_value("s3://${aws_s3_bucket.a.id}/logs/$${dt}/", {"aws_s3_bucket.a.id": "b"}) == "s3://b/logs/${dt}/"
    assert literal_value("%%{x} and $$ and %d") == "%{x} and $$ and %d"
    assert literal_value('say "hi"\n') == 'say "hi"\n'
    assert [str(r) for r in template_references("${a.b[0].c} ${upper(var.x)}")] == ["a.b.[].c", "var.x"]
