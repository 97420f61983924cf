"""ops/review.py and the previous-synth record in modules/app.py."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from modules.app import synthesize
from modules.contract.naming import SynthOutput
from modules.contract.validation import load_config, parse_config
from ops.review import differences, review, summary
from tests.conftest import EXAMPLE_CONFIG


def test_summary_states_what_a_reviewer_checks(prod: dict) -> None:
    text = "\n".join(summary(prod))
    assert "account 333333333333, region eu-west-1, as arn:aws:iam::333333333333:role/auth0-log-archive-deploy" in text
    assert "state: s3://acme-tfstate-333333333333/auth0-log-archive/prod.tfstate (eu-west-1, encrypt=True" in text
    assert "bucket auth0-log-archive-prod-333333333333, force_destroy=false [prevent_destroy]" in text
    assert "lifecycle age-out: GLACIER after 90 d, DEEP_ARCHIVE after 180 d, expire after 400 d" in text
    assert "default encryption aws:kms with (kms_key key)" in text
    assert "under logs/YYYY/MM/DD/HH (event time)/, GZIP, buffer 900 s / 64 MiB" in text
    assert "dead letters to (sqs_queue ingest_dead_letter_queue)" in text
    assert "alarm auth0-log-archive-prod-no-events: AWS/Firehose IncomingRecords Sum LessThanThreshold 1" in text
    assert f"{sum(len(group) for group in prod['resource'].values())} resources in all." in text
    assert "subscription email security@example.com" in text
    assert "Note: nobody is subscribed to the alarm topic" not in text
    # Sections follow the data: Auth0/EventBridge before Firehose before the bucket.
    assert text.index("EventBridge:") < text.index("Firehose:") < text.index("Archive bucket:")


def test_summary_warns_when_nobody_hears_the_alarms(variant_stacks: dict[str, dict]) -> None:
    assert "Note: nobody is subscribed to the alarm topic" in "\n".join(summary(variant_stacks["minimal"]))


def test_differences_name_each_changed_value(prod: dict) -> None:
    changed = copy.deepcopy(prod)
    lifecycle = next(iter(changed["resource"]["aws_s3_bucket_lifecycle_configuration"].values()))
    lifecycle["rule"][0]["expiration"][0]["days"] = 365
    changed["resource"]["aws_sns_topic_subscription"] = {"alarms_email_1": {"protocol": "email"}}
    del changed["resource"]["aws_cloudwatch_event_archive"]
    changed["provider"]["aws"][0]["region"] = "eu-central-1"
    lines = differences(prod, changed)
    assert "~ provider.aws[0].region: eu-west-1 -> eu-central-1" in lines
    assert "+ aws_sns_topic_subscription.alarms_email_1" in lines
    assert any(line.startswith("- aws_cloudwatch_event_archive.ingest_archive_") for line in lines)
    assert any(line.endswith("rule[0].expiration[0].days: 400 -> 365") for line in lines)
    assert differences(prod, prod) == []


def test_policy_changes_show_the_statement(prod: dict) -> None:
    changed = copy.deepcopy(prod)
    role_policy = next(iter(changed["resource"]["aws_iam_role_policy"].values()))
    document = json.loads(role_policy["policy"])
    document["Statement"][0]["Action"].append("s3:DeleteObject")
    role_policy["policy"] = json.dumps(document)
    (line,) = differences(prod, changed)
    added_at = len(document["Statement"][0]["Action"]) - 1
    assert line.endswith(f"policy.Statement[0].Action[{added_at}]: <absent> -> s3:DeleteObject")


def test_synth_keeps_the_previous_version_of_a_changed_stack(tmp_path: Path) -> None:
    config = load_config(EXAMPLE_CONFIG)
    synthesize(config, str(tmp_path))
    previous = SynthOutput(tmp_path).previous("auth0-log-archive-dev")
    assert not previous.exists()  # the first synth has nothing to keep
    first = (tmp_path / "stacks" / "auth0-log-archive-dev" / "cdk.tf.json").read_text()
    synthesize(config, str(tmp_path))
    assert not previous.exists()  # unchanged: nothing to review
    changed = parse_config(EXAMPLE_CONFIG.read_text().replace("expire_after_days = 90\n", "expire_after_days = 120\n"),
                           "changed.toml")  # fmt: skip
    synthesize(changed, str(tmp_path))
    assert previous.read_text() == first
    current = tmp_path / "stacks" / "auth0-log-archive-dev" / "cdk.tf.json"
    lines = review("auth0-log-archive-dev", current, previous)
    assert lines[0].startswith("Stack auth0-log-archive-dev (")
    changes = lines[lines.index(next(x for x in lines if x.startswith("Changes since"))) + 1 :]
    assert any("archive_bucket_lifecycle" in line and "expiration[0].days: 90 -> 120" in line for line in changes)
    # The Athena projection reaches back as far as objects live: it follows the expiry.
    assert any("projection.dt.range: NOW-90DAYS,NOW -> NOW-120DAYS,NOW" in line for line in changes)
    assert len(changes) == 3  # and the access log bucket's expiry
