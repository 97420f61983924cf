"""Cross-cutting protections of every synthesized stack, and an independent IAM linter.

Every IAM and resource policy is linted with parliament (duo-labs' IAM policy
linter) after Terraform references are replaced by example ARNs of the right
type. The checks below also hold on the JSON itself, so a regression fails
even if the scanners change.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    import parliament

from tests.helpers import named, ref, resources

EXAMPLE_ARNS = {
    "aws_s3_bucket": "arn:aws:s3:::example-bucket",
    "aws_kms_key": "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555",
    "aws_kinesis_firehose_delivery_stream": "arn:aws:firehose:us-east-1:111111111111:deliverystream/example",
    "aws_cloudwatch_log_stream": "arn:aws:logs:us-east-1:111111111111:log-group:/example:log-stream:example",
    "aws_cloudwatch_event_rule": "arn:aws:events:us-east-1:111111111111:rule/example-bus/example",
    "aws_cloudwatch_event_bus": "arn:aws:events:us-east-1:111111111111:event-bus/example",
    "aws_sqs_queue": "arn:aws:sqs:us-east-1:111111111111:example",
    "aws_sns_topic": "arn:aws:sns:us-east-1:111111111111:example",
}
REFERENCE = re.compile(r"\$\{(?P<type>[a-z0-9_]+)\.[A-Za-z0-9_-]+\.arn\}")

# Where policies live: resource type → attribute.
POLICY_ATTRIBUTES = {
    "aws_iam_role": "assume_role_policy",
    "aws_iam_role_policy": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sqs_queue_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_kms_key": "policy",
}


def policies(stacks: dict[str, dict]) -> Iterator[tuple[str, dict]]:
    for env, doc in stacks.items():
        for resource_type, attribute in POLICY_ATTRIBUTES.items():
            for name, attrs in resources(doc, resource_type).items():
                yield f"{env}/{resource_type}.{name}", json.loads(attrs[attribute])


def concrete(document: dict) -> str:
    """The policy with every Terraform ARN reference replaced by an example ARN."""

    def example(match: re.Match[str]) -> str:
        return EXAMPLE_ARNS[match.group("type")]

    return REFERENCE.sub(example, json.dumps(document))


@pytest.fixture(scope="module")
def all_policies(example_stacks: dict[str, dict], variant_stacks: dict[str, dict]) -> list[tuple[str, dict]]:
    found = list(policies({**example_stacks, **variant_stacks}))
    # five stacks: 2 trust + 2 role + 3 bucket + queue + topic + 2 key policies (archive and alarm keys),
    # and one stack runs detections: its security topic's policy
    assert len(found) == 5 * 11 + 1
    return found


# Findings that are the point of a statement, each with its reason.
ACCEPTED_FINDINGS = {
    # AWS's documented key administrator statement: without it nobody could manage or
    # rotate the key's policy, and AWS would refuse the policy (lockout check).
    ("KeyAdministration", "PERMISSIONS_MANAGEMENT_ACTIONS"): "key administration by the administrators",
    # kms:*Alias apply to the alias and to the key it names; parliament knows only the alias.
    ("KeyAdministratorsManageAliases", "RESOURCE_MISMATCH"): "alias operations need the key too",
    # AWS's documented statement for grants to AWS services (Firehose's SSE), conditioned on
    # kms:GrantIsForAWSResource: grants are permissions management by nature.
    ("GrantsOnlyForAwsServices", "PERMISSIONS_MANAGEMENT_ACTIONS"): "grants only for AWS services",
}


def test_every_permission_policy_is_clean_for_parliament(all_policies: list[tuple[str, dict]]) -> None:
    """Statement by statement, so that a finding names its statement.

    Trust policies are not permission policies (no Resource): parliament does
    not lint them; test_every_trust_policy_is_bound_to_this_account does. In a
    key policy "*" is the key itself, so it is linted as the key's ARN.
    """
    findings = {}
    for where, document in all_policies:
        if ".aws_iam_role." in where.replace("/", "."):
            continue
        for stmt in document["Statement"]:
            linted = {**stmt, "Resource": [EXAMPLE_ARNS["aws_kms_key"]]} if "aws_kms_key" in where else stmt
            text = concrete({"Version": "2012-10-17", "Statement": [linted]})
            assert "${" not in text, f"{where}: unresolved reference left in {text}"
            result = parliament.analyze_policy_string(text, include_community_auditors=True)
            issues = [f.issue for f in result.findings if (stmt["Sid"], f.issue) not in ACCEPTED_FINDINGS]
            if issues:
                findings[f"{where} {stmt['Sid']}"] = issues
    assert findings == {}


def test_no_wildcard_action_or_resource_outside_key_and_deny_statements(all_policies) -> None:
    for where, document in all_policies:
        for stmt in document["Statement"]:
            if stmt["Effect"] == "Deny":
                continue  # a deny may be as wide as it likes
            assert "*" not in stmt["Action"], f"{where} {stmt['Sid']}"
            assert not any(a.endswith(":*") for a in stmt["Action"]), f"{where} {stmt['Sid']}"
            if "aws_kms_key" not in where:  # in a key policy "*" is the key itself
                assert "*" not in stmt.get("Resource", []), f"{where} {stmt['Sid']}"


def test_every_trust_policy_is_bound_to_this_account(all_policies) -> None:
    trusts = [(w, d) for w, d in all_policies if ".aws_iam_role." in w.replace("/", ".")]
    assert trusts
    for where, document in trusts:
        for stmt in document["Statement"]:
            condition = stmt["Condition"]["StringEquals"]
            assert "aws:SourceAccount" in condition or "sts:ExternalId" in condition, where


# The only service grants without a condition: those AWS documents so, for services publishing to an
# encrypted SNS topic (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html), on the alarm
# topic's own key, never on the archive key.
DOCUMENTED_UNCONDITIONED = {
    "CloudWatchAlarmsPublish": ("cloudwatch.amazonaws.com", ["kms:Decrypt", "kms:GenerateDataKey*"]),
    "EventBridgeRulesPublish": ("events.amazonaws.com", ["kms:Decrypt", "kms:GenerateDataKey*"]),
}


def test_every_service_grant_in_a_key_policy_is_conditioned_or_documented(all_policies) -> None:
    for where, document in all_policies:
        if "aws_kms_key" not in where:
            continue
        for stmt in document["Statement"]:
            if "Service" not in stmt["Principal"] or stmt.get("Condition"):
                continue
            if stmt["Action"] == ["kms:DescribeKey"]:
                continue  # the key's metadata, never its use (CloudWatch Logs describes the key it is given)
            assert stmt["Sid"] in DOCUMENTED_UNCONDITIONED, f"{where} {stmt['Sid']}"
            assert "aws_kms_key.alarm_key" in where, f"{where} {stmt['Sid']}: only on the alarm key"
            assert (stmt["Principal"]["Service"], stmt["Action"]) == DOCUMENTED_UNCONDITIONED[stmt["Sid"]]


def test_nobody_uses_the_archive_key_except_through_s3_or_as_a_bound_service(all_policies) -> None:
    use = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"}
    for where, document in all_policies:
        if "aws_kms_key.key_" not in where:
            continue
        for stmt in document["Statement"]:
            if not use & set(stmt["Action"]) or "Service" in stmt["Principal"]:
                continue
            assert stmt["Condition"]["StringEquals"]["kms:ViaService"].startswith("s3."), f"{where} {stmt['Sid']}"
            assert set(stmt["Condition"]["StringEquals"]) == {"kms:ViaService", "kms:CallerAccount"}


def test_every_resource_policy_denies_requests_without_tls(all_policies) -> None:
    for where, document in all_policies:
        if not any(t in where for t in ("aws_s3_bucket_policy", "aws_sqs_queue_policy", "aws_sns_topic_policy")):
            continue
        deny = [s for s in document["Statement"] if s["Sid"] == "DenyInsecureTransport"]
        assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, where


def test_everything_at_rest_is_encrypted_and_the_safety_nets_not_with_the_archive_key(
    example_stacks: dict[str, dict],
) -> None:
    for doc in example_stacks.values():
        key, _ = named(doc, "aws_kms_key", "key")
        alarm_key, _ = named(doc, "aws_kms_key", "alarm_key")
        key_arn, alarm_key_arn = ref("aws_kms_key", key, "arn"), ref("aws_kms_key", alarm_key, "arn")
        (queue,) = resources(doc, "aws_sqs_queue").values()
        # Both topics (the alarms', and the security topic where detections run) use the alarm key.
        topics = resources(doc, "aws_sns_topic").values()
        (log_group,) = resources(doc, "aws_cloudwatch_log_group").values()
        (archive,) = resources(doc, "aws_cloudwatch_event_archive").values()
        (stream,) = resources(doc, "aws_kinesis_firehose_delivery_stream").values()
        # The nets: SQS-managed encryption, the alarm key, EventBridge's AWS owned key.
        assert queue["sqs_managed_sse_enabled"] is True and "kms_master_key_id" not in queue
        assert [topic["kms_master_key_id"] for topic in topics] == [alarm_key_arn] * len(topics)
        assert "kms_key_identifier" not in archive
        # The archive itself: its key.
        assert log_group["kms_key_id"] == key_arn
        assert stream["server_side_encryption"] == {
            "enabled": True,
            "key_type": "CUSTOMER_MANAGED_CMK",
            "key_arn": key_arn,
        }
        assert stream["extended_s3_configuration"]["kms_key_arn"] == key_arn


def test_audit_data_cannot_be_destroyed_by_terraform(example_stacks: dict[str, dict]) -> None:
    for doc in example_stacks.values():
        for resource_type in ("aws_s3_bucket", "aws_kms_key"):
            for name, attrs in resources(doc, resource_type).items():
                if name.startswith("queries_results"):
                    continue  # Athena query results expire in days: nothing to protect
                assert attrs["lifecycle"] == {"prevent_destroy": True}, name
        for name, bucket in resources(doc, "aws_s3_bucket").items():
            assert bucket["force_destroy"] is False, name
