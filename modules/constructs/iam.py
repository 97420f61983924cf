"""IAM policy documents and the service roles our pipeline's AWS services assume.

Policies are built as Python data and rendered to JSON strings, so tests (and
IAM linters) read exactly what Terraform receives; ARNs of other resources
stay Terraform references inside those strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from constructs import Construct

from modules.constructs import aws

Statement = dict[str, Any]


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    effect: str = "Allow",
    principal: Mapping[str, Any] | None = None,
    condition: Mapping[str, Mapping[str, Any]] | None = None,
) -> Statement:
    result: Statement = {"Sid": sid, "Effect": effect}
    if principal is not None:
        result["Principal"] = dict(principal)
    result["Action"] = list(actions)
    result["Resource"] = list(resources)
    if condition:
        result["Condition"] = {op: dict(values) for op, values in condition.items()}
    return result


def policy_document(*statements: Statement) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def deny_insecure_transport(actions: Sequence[str], resources: Sequence[str]) -> Statement:
    """The statement every resource policy carries: nobody gets in without TLS."""
    return statement(
        "DenyInsecureTransport",
        actions,
        resources,
        effect="Deny",
        principal={"AWS": "*"},
        condition={"Bool": {"aws:SecureTransport": "false"}},
    )


def service_only_policy(
    sid: str,
    service: str,
    actions: Sequence[str],
    resource_arn: str,
    condition: Mapping[str, Mapping[str, Any]],
    *,
    tls_actions: Sequence[str],
) -> str:
    """A resource policy that admits one AWS service, under ``condition``, over TLS only."""
    return policy_document(
        statement(sid, actions, [resource_arn], principal={"Service": service}, condition=condition),
        deny_insecure_transport(tls_actions, [resource_arn]),
    )


class ServiceRole(Construct):
    """An IAM role that one AWS service assumes, with one inline policy.

    ``trust_condition`` pins who may make the service assume it (source
    account, source ARN or external id) against confused-deputy use.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        description: str,
        service: str,
        trust_condition: Mapping[str, Mapping[str, Any]],
        statements: Sequence[Statement],
    ) -> None:
        super().__init__(scope, id)
        trust = statement(
            "TrustService",
            ["sts:AssumeRole"],
            [],
            principal={"Service": service},
            condition=trust_condition,
        )
        del trust["Resource"]  # trust policies name no resource
        self.role = aws.iam_role.IamRole(
            self,
            "role",
            name=name,
            description=description,
            assume_role_policy=policy_document(trust),
        )
        self.policy = aws.iam_role_policy.IamRolePolicy(
            self,
            "policy",
            name=name,
            role=self.role.id,
            policy=policy_document(*statements),
        )

    @property
    def arn(self) -> str:
        return self.role.arn
