"""The EventBridge side: Auth0's partner event bus, the rule, its target, a
dead-letter queue for what cannot be delivered, and a replay archive."""

from __future__ import annotations

import json
from typing import Any

from constructs import Construct

from modules.constructs import aws
from modules.constructs.iam import ServiceRole, service_only_policy, statement

AUTH0_DETAIL_TYPE = "Auth0 log"
DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60  # SQS's maximum


def auth0_log_pattern(partner_event_source: str) -> dict[str, Any]:
    """The event pattern of this tenant's Auth0 log events, and nothing else."""
    return {"source": [partner_event_source], "detail-type": [AUTH0_DETAIL_TYPE]}


class PartnerEventIngest(Construct):
    """Receives a partner event source on its bus and forwards to a Firehose stream.

    The bus must carry the partner event source's exact name (AWS requires
    it); the rule matches only Auth0 log events from that source, and the
    target's role may put records into the one stream given, nothing else.

    Nothing is dropped silently: EventBridge retries for
    ``max_event_age_seconds``, then puts the event into an encrypted
    dead-letter queue that only this rule may write to. Every event is also
    kept ``replay_window_days`` in an EventBridge archive, so the window of
    an outage downstream can be replayed (0: no archive).

    When this stack also manages the Auth0 log stream, pass its partner event
    source as a reference: the bus's name is that reference, so a new stream
    (a new source) replaces the bus in the plan, and nothing else about the
    stream does.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        rule_name: str,
        role_name: str,
        dead_letter_queue_name: str,
        archive_name: str,
        account_id: str,
        partner_event_source: str,
        delivery_stream_arn: str,
        replay_window_days: int,
        max_event_age_seconds: int = 24 * 60 * 60,
        max_retry_attempts: int = 185,
    ) -> None:
        super().__init__(scope, id)
        pattern = json.dumps(auth0_log_pattern(partner_event_source))
        self.bus = aws.cloudwatch_event_bus.CloudwatchEventBus(
            self,
            "bus",
            name=partner_event_source,
            event_source_name=partner_event_source,
        )
        self.rule = aws.cloudwatch_event_rule.CloudwatchEventRule(
            self,
            "rule",
            name=rule_name,
            description="Auth0 log events of this tenant, to the archive's Firehose stream",
            event_bus_name=self.bus.name,
            event_pattern=pattern,
            state="ENABLED",
        )

        # SSE-SQS, not the archive key: the queue must take what EventBridge gives up on
        # even while the archive key is disabled, deleted or its policy broken.
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
        self.dead_letter_queue = aws.sqs_queue.SqsQueue(
            self,
            "dead_letter_queue",
            name=dead_letter_queue_name,
            sqs_managed_sse_enabled=True,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
        )
        aws.sqs_queue_policy.SqsQueuePolicy(
            self,
            "dead_letter_queue_policy",
            queue_url=self.dead_letter_queue.url,
            policy=service_only_policy(
                "OnlyThisRuleSendsUndeliveredEvents",
                "events.amazonaws.com",
                ["sqs:SendMessage"],
                self.dead_letter_queue.arn,
                {"ArnEquals": {"aws:SourceArn": self.rule.arn}},
                tls_actions=["sqs:*"],
            ),
        )

        self.role = ServiceRole(
            self,
            "role",
            name=role_name,
            description=f"EventBridge rule {rule_name} puts events into the archive's Firehose stream",
            service="events.amazonaws.com",
            trust_condition={"StringEquals": {"aws:SourceAccount": account_id, "aws:SourceArn": self.rule.arn}},
            statements=[
                statement(
                    "PutIntoArchiveStream", ["firehose:PutRecord", "firehose:PutRecordBatch"], [delivery_stream_arn]
                ),
            ],
        )
        self.target = aws.cloudwatch_event_target.CloudwatchEventTarget(
            self,
            "target",
            rule=self.rule.name,
            event_bus_name=self.bus.name,
            target_id="archive-firehose",
            arn=delivery_stream_arn,
            role_arn=self.role.arn,
            # Stated, not left to defaults: how long EventBridge keeps trying...
            retry_policy=aws.cloudwatch_event_target.CloudwatchEventTargetRetryPolicy(
                maximum_event_age_in_seconds=max_event_age_seconds,
                maximum_retry_attempts=max_retry_attempts,
            ),
            # ...and where an event goes when it gives up.
            dead_letter_config=aws.cloudwatch_event_target.CloudwatchEventTargetDeadLetterConfig(
                arn=self.dead_letter_queue.arn
            ),
        )

        self.archive = self._replay_archive(archive_name, pattern, replay_window_days) if replay_window_days else None

    def _replay_archive(
        self, name: str, pattern: str, replay_window_days: int
    ) -> aws.cloudwatch_event_archive.CloudwatchEventArchive:
        # Encrypted with an AWS owned key, not the archive key: the replay archive is how events
        # come back after the archive key (or anything downstream) failed, so it must not share
        # that failure. https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-archives.html
        return aws.cloudwatch_event_archive.CloudwatchEventArchive(
            self,
            "archive",
            name=name,
            description=f"Auth0 log events of the last {replay_window_days} days, for replay after an outage",
            event_source_arn=self.bus.arn,
            event_pattern=pattern,
            retention_days=replay_window_days,
        )
