"""User text never becomes a Terraform template (modules/stack.py: terraform_literals).

Every free-text setting that reaches the stack is tried with template syntax, control characters and
look-alikes: each is refused with a clean message, or synthesized escaped so that Terraform's template
parser (python-hcl2, tests/terraform_reader.py) reads back exactly the text the user wrote, and the stack
holds no reference it did not make. Backend strings are not templates in Terraform: they arrive as written.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from modules.contract.validation import ConfigError, parse_config
from tests.conftest import synth_all
from tests.terraform_reader import literal_value, stack_problems

SOURCE = "aws.partner/auth0.com/acme-dev-1cfb5c33-a2af-4ea4-a6ee-799de196b362/auth0.logs"
BASE = (
    '[environments.dev]\naws_account_id = "111111111111"\naws_region = "us-east-1"\nalarm_email = "sec@example.com"\n'
)

# Template syntax in every form Terraform reads, and what should never be evaluated.
# (A lone "${" or "%{" is escaped the same way; python-hcl2 cannot parse "$${" without a closing brace,
# which Terraform reads as the text "${", so it is left out here.)
PAYLOADS = ['${file("/etc/passwd")}', "%{ if true }x%{ endif }", "${1}", "$${x}", "%%{x}", "$$", "%"]


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def settings_with(payload: str) -> dict[str, str]:
    """Each free-text setting with ``payload`` where its own rule lets it stand."""
    role = f"arn:aws:iam::111111111111:role/p{payload}/deploy"
    return {
        "alarm_email": BASE.replace('"sec@example.com"', json.dumps(f"a{payload}@example.com"))
        + f'auth0_event_source = "{SOURCE}"\n',
        "deploy_role_arn": BASE + f'auth0_event_source = "{SOURCE}"\ndeploy_role_arn = {json.dumps(role)}\n',
        "archive_admin_role_arns": BASE
        + f'auth0_event_source = "{SOURCE}"\narchive_admin_role_arns = [{json.dumps(role)}]\n',
        "auth0.stream_name": BASE
        + f'[environments.dev.auth0]\ndomain = "acme.auth0.com"\nstream_name = {json.dumps("s" + payload)}\n',
        "backend.path": BASE
        + f'auth0_event_source = "{SOURCE}"\nbackend = {{ type = "local", path = {json.dumps("/var/st" + payload)} }}\n',
        "backend.key": BASE
        + f'auth0_event_source = "{SOURCE}"\nbackend = {{ type = "s3", bucket = "state-111", key = {json.dumps("k" + payload)} }}\n',
    }


CASES = [(key, payload) for payload in PAYLOADS for key in settings_with(payload)]


def written(key: str, payload: str) -> str:
    return {
        "alarm_email": f"a{payload}@example.com",
        "deploy_role_arn": f"arn:aws:iam::111111111111:role/p{payload}/deploy",
        "archive_admin_role_arns": f"arn:aws:iam::111111111111:role/p{payload}/deploy",
        "auth0.stream_name": f"s{payload}",
        "backend.path": f"/var/st{payload}",
        "backend.key": f"k{payload}",
    }[key]


@pytest.mark.parametrize(("key", "payload"), CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_template_syntax_is_refused_or_arrives_literally(key: str, payload: str) -> None:
    text = settings_with(payload)[key]
    try:
        config = parse_config(text, "literal.toml")
    except ConfigError as error:
        problems = error.problems
        assert all(line.startswith("literal.toml: environments.dev.") for line in problems)
        assert all(line.isprintable() for line in problems)
        return
    stack = synth_all(config)["dev"]
    assert stack_problems(stack, "dev") == []  # no reference the stack did not make
    wanted = written(key, payload)
    if key.startswith("backend."):  # not a template: Terraform takes backend strings as written
        backend = next(iter(stack["terraform"]["backend"].values()))
        assert backend[key.split(".")[1]] == wanted
        return
    seen = {literal_value(s) for s in strings({"resource": stack["resource"], "provider": stack["provider"]})}
    for text in list(seen):  # policies are JSON documents: the text is in their strings
        if text.startswith("{"):
            with contextlib.suppress(ValueError):
                seen.update(strings(json.loads(text)))
    found = [s for s in seen if wanted in s]
    assert found, f"{wanted!r} never arrives in the stack as written"


# Look-alikes and control characters: refused where the rule is ASCII, never silently folded.
LOOKALIKES = ["\u0131", "\u212a", "\uff04{x}", "\u200b", "\u202e", "\t", "\x7f"]


@pytest.mark.parametrize(("key", "char"), list(itertools.product(["alarm_email", "deploy_role_arn"], LOOKALIKES)))
def test_look_alikes_and_controls_are_refused_in_ascii_settings(key: str, char: str) -> None:
    text = settings_with(char)[key]
    with pytest.raises(ConfigError) as refused:
        parse_config(text, "lookalike.toml")
    assert refused.value.problems[0].startswith(f"lookalike.toml: environments.dev.{key}: expected ")


def test_an_email_domain_in_capitals_is_an_email_domain() -> None:
    config = parse_config(BASE.replace("sec@example.com", "security@Example.COM") + f'auth0_event_source = "{SOURCE}"\n',
                          "caps.toml")  # fmt: skip
    assert config.environment("dev").alarm_email == "security@Example.COM"
