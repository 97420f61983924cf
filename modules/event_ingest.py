"""The EventBridge side: Auth0's partner event bus, the rule and its target."""

from __future__ import annotations

import json
from typing import Any

from constructs import Construct

from modules import aws
from modules.iam import ServiceRole, statement

AUTH0_DETAIL_TYPE = "Auth0 log"


def auth0_log_pattern(partner_event_source: str) -> dict[str, Any]:
    """The event pattern of this tenant's Auth0 log events, and nothing else."""
    return {"source": [partner_event_source], "detail-type": [AUTH0_DETAIL_TYPE]}


class PartnerEventIngest(Construct):
    """Receives a partner event source on its bus and forwards to a Firehose stream.

    The bus must carry the partner event source's exact name (AWS requires
    it); the rule matches only Auth0 log events from that source, and the
    target's role may put records into the one stream given, nothing else.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        account_id: str,
        partner_event_source: str,
        delivery_stream_arn: str,
        max_event_age_seconds: int = 24 * 60 * 60,
        max_retry_attempts: int = 185,
    ) -> None:
        super().__init__(scope, id)
        self.bus = aws.cloudwatch_event_bus.CloudwatchEventBus(
            self,
            "bus",
            name=partner_event_source,
            event_source_name=partner_event_source,
        )
        self.rule = aws.cloudwatch_event_rule.CloudwatchEventRule(
            self,
            "rule",
            name=f"{name}-auth0-logs",
            description="Auth0 log events of this tenant, to the archive's Firehose stream",
            event_bus_name=self.bus.name,
            event_pattern=json.dumps(auth0_log_pattern(partner_event_source)),
            state="ENABLED",
        )
        self.role = ServiceRole(
            self,
            "role",
            name=f"{name}-events-to-firehose",
            description=f"EventBridge rule {name}-auth0-logs puts events into the archive's Firehose stream",
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
            # Stated, not left to defaults: how long EventBridge keeps trying.
            retry_policy=aws.cloudwatch_event_target.CloudwatchEventTargetRetryPolicy(
                maximum_event_age_in_seconds=max_event_age_seconds,
                maximum_retry_attempts=max_retry_attempts,
            ),
        )
