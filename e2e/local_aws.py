"""A local AWS for the e2e run: moto in server mode on loopback, owned by the harness.

It runs in a thread of the harness's own process, on a free port of
127.0.0.1, and is stopped when the ``with`` block ends (or the process does):
it cannot be left running. Several accounts act in it as in AWS: credentials
from ``sts:AssumeRole`` act in the role's account. ``MOTO_ACCOUNT_ID`` would
override that for every request and hide a role in the wrong account, so it
is refused.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from e2e.moto_gaps import MotoGap, patch_moto

# Moto's default account: the harness's own credentials, and Auth0's side of the partner source.
HARNESS_ACCOUNT = "123456789012"
BASE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "e2e-harness", "AWS_SECRET_ACCESS_KEY": "e2e-harness"}
# The services our stacks use: the provider's endpoints block points each one at the local AWS.
SERVICES = ("athena", "cloudwatch", "events", "firehose", "glue", "iam", "kms", "logs", "s3", "sns", "sqs", "sts")


@dataclass
class LocalAws:
    patched: list[MotoGap] = field(default_factory=list)
    endpoint: str = ""
    _server: Any = None

    def __enter__(self) -> LocalAws:
        if "MOTO_ACCOUNT_ID" in os.environ:
            raise RuntimeError("MOTO_ACCOUNT_ID is set: it would put every request in one account; unset it")
        import logging

        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

        self.patched = list(patch_moto())
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        """Forget every resource of every account (between configurations)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def client(self, service: str, region: str, credentials: dict[str, str] | None = None) -> Any:
        import boto3

        credentials = credentials or BASE_CREDENTIALS
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
        )

    def credentials_in(self, account_id: str, region: str, role: str = "e2e-operator") -> dict[str, str]:
        """Credentials acting in ``account_id``: what an operator of that account holds."""
        answer = self.client("sts", region).assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName="e2e"
        )["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": answer["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": answer["SecretAccessKey"],
            "AWS_SESSION_TOKEN": answer["SessionToken"],
        }

    def create_partner_event_source(self, name: str, account_id: str, region: str) -> None:
        """What Auth0 does when a stream is saved: a partner event source offered to the account."""
        self.client("events", region).create_partner_event_source(Name=name, Account=account_id)

    def provider_endpoints(self) -> dict[str, str]:
        return {service: self.endpoint for service in SERVICES}
