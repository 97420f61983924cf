"""modules/config.py: the configuration contract and every bad-input case."""

from __future__ import annotations

import pytest

from modules.config import (
    ConfigError,
    Configuration,
    config_path,
    load_config,
    parse_config,
)

SOURCE = "environments.toml"
DEV_SOURCE = "aws.partner/auth0.com/acme-dev-1cfb5c33-a2af-4ea4-a6ee-799de196b362/auth0.logs"

VALID = f"""
[defaults]
glacier_after_days = 90
expire_after_days = 400

[environments.dev]
aws_account_id = "111111111111"
aws_region = "us-east-1"
auth0_event_source = "{DEV_SOURCE}"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, SOURCE)
    return raised.value.problems


def with_dev(**settings: str) -> str:
    """VALID with extra raw TOML lines under [environments.dev]."""
    return VALID + "".join(f"{key} = {value}\n" for key, value in settings.items())


def test_example_configuration_has_three_accounts(example_config: Configuration) -> None:
    envs = {env.name: env for env in example_config.environments}
    assert list(envs) == ["dev", "staging", "prod"]
    assert len({env.aws_account_id for env in envs.values()}) == 3
    assert envs["dev"].backend.type == "local"
    assert envs["staging"].backend.type == "s3"
    # Defaults for an s3 backend: the environment's region, key <project>/<environment>.tfstate.
    assert envs["staging"].backend.region == "eu-west-1"
    assert envs["staging"].backend.key == "auth0-log-archive/staging.tfstate"


def test_defaults_are_inherited_and_overridden(example_config: Configuration) -> None:
    dev, prod = example_config.environment("dev"), example_config.environment("prod")
    assert (dev.glacier_after_days, dev.deep_archive_after_days, dev.expire_after_days) == (30, 60, 90)
    assert (prod.glacier_after_days, prod.deep_archive_after_days, prod.expire_after_days) == (90, 180, 400)
    assert dev.buffer_interval_seconds == 300 and prod.buffer_interval_seconds == 900
    assert prod.tags == {"Owner": "security", "DataClassification": "confidential"}
    assert prod.stack_name == "auth0-log-archive-prod"


def test_built_in_defaults_apply_when_nothing_is_set() -> None:
    env = parse_config(VALID.replace("glacier_after_days = 90\nexpire_after_days = 400\n", ""), SOURCE).environment(
        "dev"
    )
    assert env.project == "auth0-log-archive"
    assert (env.glacier_after_days, env.deep_archive_after_days, env.expire_after_days) == (90, None, 400)
    assert (env.buffer_interval_seconds, env.buffer_size_mib, env.log_retention_days) == (900, 64, 365)
    assert env.deploy_role_arn is None
    assert env.backend.type == "local" and env.backend.path is None


MANAGED = VALID.replace(f'auth0_event_source = "{DEV_SOURCE}"', '[environments.dev.auth0]\ndomain = "acme.auth0.com"')


def test_a_managed_stream_replaces_the_event_source() -> None:
    env = parse_config(MANAGED + 'filters = ["auth.login.fail"]\npii_fields = ["email"]\n', SOURCE).environment("dev")
    assert env.auth0_event_source is None
    assert env.auth0 is not None
    assert (env.auth0.domain, env.auth0.filters, env.auth0.pii_fields, env.auth0.pii_method) == (
        "acme.auth0.com",
        ("auth.login.fail",),
        ("email",),
        "hash",
    )
    assert env.auth0.stream_name == "Amazon EventBridge (auth0-log-archive-dev)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            VALID + '[environments.dev.auth0]\ndomain = "acme.auth0.com"\n',
            "environments.toml: environments.dev: expected exactly one of auth0_event_source (a stream made in Auth0) "
            "and an [auth0] table (a stream managed here), got both",
        ),
        (
            VALID.replace(f'auth0_event_source = "{DEV_SOURCE}"', ""),
            "environments.toml: environments.dev: expected exactly one of auth0_event_source",
        ),
        (
            MANAGED.replace('domain = "acme.auth0.com"', 'stream_name = "x"'),
            "environments.toml: environments.dev.auth0.domain: missing: the Auth0 tenant's domain",
        ),
        (
            MANAGED.replace('"acme.auth0.com"', '"https://acme.auth0.com/"'),
            'environments.toml: environments.dev.auth0.domain: expected a domain name such as "acme.eu.auth0.com"',
        ),
        (
            MANAGED + 'filters = ["auth.login.failed"]\n',
            "environments.toml: environments.dev.auth0.filters: expected a list of log stream filter categories among auth.ancillary.fail",
        ),
        (
            MANAGED + 'pii_fields = ["ssn"]\n',
            "environments.toml: environments.dev.auth0.pii_fields: expected a list of PII fields among first_name",
        ),
        (
            MANAGED + 'pii_fields = ["email"]\npii_method = "encrypt"\n',
            'environments.toml: environments.dev.auth0.pii_method: expected a PII method, one of hash, mask, got "encrypt"',
        ),
        (
            MANAGED + 'pii_method = "mask"\n',
            "environments.toml: environments.dev.auth0.pii_fields: missing: pii_method needs the pii_fields",
        ),
        (
            MANAGED + 'is_priority = "yes"\n',
            'environments.toml: environments.dev.auth0.is_priority: expected true or false, got "yes"',
        ),
        (
            MANAGED + 'start_from = "2026-01-01"\n',
            "environments.toml: environments.dev.auth0.start_from: expected an RFC 3339 time with its offset",
        ),
        (
            MANAGED + 'start_from = "2026-01-01T00:00:00"\n',
            "environments.toml: environments.dev.auth0.start_from: expected an RFC 3339 time with its offset",
        ),
        (
            MANAGED + "start_from = 2026-01-01T00:00:00\n",  # a TOML local date-time: no offset
            "environments.toml: environments.dev.auth0.start_from: expected an RFC 3339 time with its offset",
        ),
        (
            MANAGED + 'stram_name = "x"\n',
            'environments.toml: environments.dev.auth0.stram_name: unknown key (did you mean "stream_name"?)',
        ),
        (
            VALID.replace("[environments.dev]", '[defaults.auth0]\ndomain = "acme.auth0.com"\n\n[environments.dev]'),
            "environments.toml: defaults.auth0: expected in an environment",
        ),
    ],
)
def test_bad_auth0_tables_are_reported(text: str, expected: str) -> None:
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found


def test_object_lock_mode_is_normalized() -> None:
    env = parse_config(with_dev(object_lock_mode='"governance"', object_lock_days="30"), SOURCE).environment("dev")
    assert (env.object_lock_mode, env.object_lock_days) == ("GOVERNANCE", 30)


def test_environment_tags_merge_over_default_tags() -> None:
    text = VALID.replace(
        "[environments.dev]", '[defaults.tags]\nOwner = "security"\nTeam = "iam"\n\n[environments.dev]'
    )
    text += 'tags = { Team = "identity", Extra = "yes" }\n'
    env = parse_config(text, SOURCE).environment("dev")
    assert env.tags == {"Owner": "security", "Team": "identity", "Extra": "yes"}
    assert env.default_tags == {**env.tags, "Project": "auth0-log-archive", "Environment": "dev", "ManagedBy": "cdktf"}


def test_config_file_comes_from_the_environment_variable() -> None:
    assert str(config_path({})) == "environments.toml"
    assert str(config_path({"AUTH0_ARCHIVE_CONFIG": "other.toml"})) == "other.toml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            with_dev(aws_acount_id='"111111111111"'),
            'environments.toml: environments.dev.aws_acount_id: unknown key (did you mean "aws_account_id"?)',
        ),
        (
            VALID + "[defaults.backend]\ntype = 's3'\nbuckt = 'x'\n",
            'environments.toml: defaults.backend.buckt: unknown key (did you mean "bucket"?)',
        ),
        (VALID + "[other]\n", "environments.toml: other: unknown key"),
        (VALID.replace('aws_region = "us-east-1"\n', ""), "environments.toml: environments.dev.aws_region: missing"),
        (
            VALID.replace('"111111111111"', '"12345"'),
            'environments.toml: environments.dev.aws_account_id: expected 12 digits, as a string, got "12345"',
        ),
        (
            VALID.replace('"111111111111"', "111111111111"),
            "environments.toml: environments.dev.aws_account_id: expected 12 digits, as a string, got 111111111111",
        ),
        (
            VALID.replace('"us-east-1"', '"us-est-1"'),
            'environments.toml: environments.dev.aws_region: expected an AWS commercial region such as "us-east-1", got "us-est-1"',
        ),
        (
            VALID.replace(DEV_SOURCE, "aws.partner/other.com/acme/logs"),
            "environments.toml: environments.dev.auth0_event_source: expected an Auth0 partner event source",
        ),
        (
            VALID.replace(DEV_SOURCE, DEV_SOURCE.replace("auth0.logs", "auth0.events")),
            "environments.toml: environments.dev.auth0_event_source: expected an Auth0 partner event source",
        ),
        (
            with_dev(deploy_role_arn='"arn:aws:iam::111111111111:user/deployer"'),
            "environments.toml: environments.dev.deploy_role_arn: expected an IAM role ARN",
        ),
        (
            with_dev(deploy_role_arn='"arn:aws:iam::999999999999:role/deploy"'),
            "environments.toml: environments.dev.deploy_role_arn: expected a role in the environment's account 111111111111, got one in 999999999999",
        ),
        (
            with_dev(glacier_after_days="0"),
            "environments.toml: environments.dev.glacier_after_days: expected an integer of at least 1, got 0",
        ),
        (
            with_dev(glacier_after_days="30.5"),
            "environments.toml: environments.dev.glacier_after_days: expected an integer of at least 1, got 30.5",
        ),
        (
            with_dev(expire_after_days='"400"'),
            'environments.toml: environments.dev.expire_after_days: expected an integer of at least 1, got "400"',
        ),
        (
            with_dev(expire_after_days="true"),
            "environments.toml: environments.dev.expire_after_days: expected an integer of at least 1, got true",
        ),
        (
            with_dev(expire_after_days="90"),
            "environments.toml: environments.dev.expire_after_days: expected more than glacier_after_days (90), got 90",
        ),
        (
            with_dev(deep_archive_after_days="60"),
            "environments.toml: environments.dev.deep_archive_after_days: expected more than glacier_after_days (90), got 60",
        ),
        (
            with_dev(deep_archive_after_days="500"),
            "environments.toml: environments.dev.expire_after_days: expected more than deep_archive_after_days (500), got 400 (from defaults)",
        ),
        (
            with_dev(buffer_size_mib="129"),
            "environments.toml: environments.dev.buffer_size_mib: expected an integer from 1 to 128, got 129",
        ),
        (
            with_dev(buffer_size_mib="0"),
            "environments.toml: environments.dev.buffer_size_mib: expected an integer from 1 to 128, got 0",
        ),
        (
            with_dev(buffer_interval_seconds="901"),
            "environments.toml: environments.dev.buffer_interval_seconds: expected an integer from 0 to 900, got 901",
        ),
        (
            with_dev(buffer_interval_seconds="-1"),
            "environments.toml: environments.dev.buffer_interval_seconds: expected an integer from 0 to 900, got -1",
        ),
        (
            with_dev(log_retention_days="100"),
            "environments.toml: environments.dev.log_retention_days: expected a CloudWatch Logs retention period, one of 1, 3",
        ),
        (
            with_dev(tags='{ Project = "x" }'),
            "environments.toml: environments.dev.tags: expected a table of string tags",
        ),
        (
            with_dev(tags='{ "aws:owner" = "x" }'),
            "environments.toml: environments.dev.tags: expected a table of string tags",
        ),
        (with_dev(tags="{ Owner = 1 }"), "environments.toml: environments.dev.tags: expected a table of string tags"),
        (
            VALID + "[environments.dev.backend]\ntype = 'gcs'\n",
            'environments.toml: environments.dev.backend.type: expected one of local, s3, got "gcs"',
        ),
        (
            VALID + "[environments.dev.backend]\ntype = 's3'\n",
            "environments.toml: environments.dev.backend.bucket: missing: an s3 backend needs the state bucket's name",
        ),
        (
            VALID + "[environments.dev.backend]\ntype = 's3'\nbucket = 'Bad_Bucket'\n",
            'environments.toml: environments.dev.backend.bucket: expected an S3 bucket name, got "Bad_Bucket"',
        ),
        (
            VALID + "[environments.dev.backend]\ntype = 'local'\nbucket = 'x'\n",
            "environments.toml: environments.dev.backend.bucket: unknown key; expected one of type, path",
        ),
        (
            VALID.replace("[environments.dev]", "[environments.Dev_1]"),
            'environments.toml: environments.Dev_1: expected an environment name of lowercase letters, digits and hyphens, starting with a letter (it names the stack and its resources), got "Dev_1"',
        ),
        (
            VALID.replace("[environments.dev]", "[environments.dev-]"),
            "environments.toml: environments.dev-: expected an environment name",
        ),
        (
            VALID.replace("[environments.dev]", "[environments.development-environment-one]"),
            'environments.toml: environments.development-environment-one: expected "<project>-<environment>" of at most 32 characters (it prefixes bucket and role names), got "auth0-log-archive-development-environment-one" (45)',
        ),
        (
            with_dev(project='"Auth0"'),
            'environments.toml: environments.dev.project: expected lowercase letters, digits and hyphens, starting with a letter, got "Auth0"',
        ),
        (
            "[defaults]\nproject = 'x'\n",
            "environments.toml: environments: expected at least one [environments.<name>] table, got none",
        ),
        ("environments = 3\n", "environments.toml: environments: expected a table of environments, got 3"),
        (
            VALID
            + VALID.replace("[defaults]\nglacier_after_days = 90\nexpire_after_days = 400\n", "").replace(
                "environments.dev", "environments.qa"
            ),
            "environments.toml: environments.qa.auth0_event_source: expected a value no other environment uses",
        ),
        ("[environments.dev\naws_region = 1\n", "environments.toml: invalid TOML: "),
        (
            with_dev(object_lock_mode='"governance"'),
            "environments.toml: environments.dev.object_lock_days: missing: object_lock_mode and object_lock_days go together",
        ),
        (
            with_dev(object_lock_days="30"),
            "environments.toml: environments.dev.object_lock_mode: missing: object_lock_mode and object_lock_days go together",
        ),
        (
            with_dev(object_lock_mode='"legal"', object_lock_days="30"),
            'environments.toml: environments.dev.object_lock_mode: expected "governance" or "compliance", got "legal"',
        ),
        (
            with_dev(object_lock_mode='"compliance"', object_lock_days="500"),
            "environments.toml: environments.dev.object_lock_days: expected at most expire_after_days (400): a locked object cannot expire, got 500",
        ),
        (
            with_dev(replay_window_days="-1"),
            "environments.toml: environments.dev.replay_window_days: expected an integer from 0 to 365, got -1",
        ),
        (
            with_dev(alarm_email='"security"'),
            'environments.toml: environments.dev.alarm_email: expected an e-mail address, got "security"',
        ),
        (
            with_dev(no_events_alarm_hours="169"),
            "environments.toml: environments.dev.no_events_alarm_hours: expected an integer from 1 to 168, got 169",
        ),
        (
            with_dev(delivery_delay_alarm_seconds="600"),
            "environments.toml: environments.dev.delivery_delay_alarm_seconds: expected more than buffer_interval_seconds (900), got 600",
        ),
    ],
)
def test_bad_configuration_is_reported_with_file_key_and_expectation(text: str, expected: str) -> None:
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found


def test_toml_syntax_errors_name_the_line() -> None:
    found = problems(VALID + "\nbuffer_size_mib = = 3\n")
    assert found == [f"{SOURCE}: invalid TOML: Invalid value (at line 11, column 19)"]


def test_every_problem_is_reported_at_once() -> None:
    text = VALID.replace('"111111111111"', '"1"').replace('"us-east-1"', '"mars-1"') + "buffer_size_mib = 0\n"
    found = problems(text)
    assert [p.split(":")[1].strip() for p in found] == [
        "environments.dev.aws_account_id",
        "environments.dev.aws_region",
        "environments.dev.buffer_size_mib",
    ]


def test_a_bad_default_is_reported_once_where_it_is_written() -> None:
    text = VALID.replace("glacier_after_days = 90", "glacier_after_days = -5")
    text += (
        text[text.index("[environments.dev]") :]
        .replace("environments.dev", "environments.qa")
        .replace("acme-dev-", "acme-qa-")
    )
    found = problems(text)
    assert found == [f"{SOURCE}: defaults.glacier_after_days: expected an integer of at least 1, got -5"]


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "nope.toml")
    assert raised.value.problems == [f"{tmp_path / 'nope.toml'}: cannot read the file: No such file or directory"]


# terraform-provider-auth0 v1.55.0, internal/auth0/logstream/resource.go, sink.aws_region
# allow-list (commercial partition): AWS regions outside it fail at plan.
PROVIDER_REGIONS = [
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
]
REGIONS_AUTH0_REFUSES = [
    "af-south-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "mx-central-1",
]


@pytest.mark.parametrize("region", REGIONS_AUTH0_REFUSES)
def test_a_region_the_auth0_provider_refuses_is_refused_for_a_managed_stream(region: str) -> None:
    found = problems(MANAGED.replace('aws_region = "us-east-1"', f'aws_region = "{region}"'))
    assert found == [
        f"environments.toml: environments.dev.aws_region: expected a region the auth0 provider can stream to "
        f'({", ".join(sorted(PROVIDER_REGIONS))}), got "{region}"'
    ]
    # A stream made elsewhere is not the provider's business: any AWS region will do.
    assert parse_config(VALID.replace('aws_region = "us-east-1"', f'aws_region = "{region}"'), SOURCE)


@pytest.mark.parametrize("region", PROVIDER_REGIONS)
def test_every_region_the_auth0_provider_accepts_is_accepted(region: str) -> None:
    assert parse_config(MANAGED.replace('aws_region = "us-east-1"', f'aws_region = "{region}"'), SOURCE)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"2026-01-01T00:00:00Z"', "2026-01-01T00:00:00Z"),
        ('"2026-01-01T02:30:00+02:30"', "2026-01-01T00:00:00Z"),
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),  # a TOML offset date-time
    ],
)
def test_start_from_is_kept_as_rfc3339_utc(value: str, expected: str) -> None:
    env = parse_config(MANAGED + f"start_from = {value}\n", SOURCE).environment("dev")
    assert env.auth0 is not None
    assert env.auth0.start_from == expected
