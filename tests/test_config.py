"""modules/contract/settings.py: the configuration contract and every bad-input case."""

from __future__ import annotations

import pytest

from modules.contract.settings import Configuration
from modules.contract.validation import ConfigError, config_path, parse_config

SOURCE = "environments.toml"
DEV_SOURCE = "aws.partner/auth0.com/acme-dev-1cfb5c33-a2af-4ea4-a6ee-799de196b362/auth0.logs"

VALID = f"""
[defaults]
glacier_after_days = 90
expire_after_days = 400

[environments.dev]
aws_account_id = "111111111111"
aws_region = "us-east-1"
alarm_email = "sec@example.com"
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
    assert (dev.glacier_after_days, dev.deep_archive_after_days, dev.expire_after_days) == (30, None, 90)
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
    assert found == [f"{SOURCE}: defaults.glacier_after_days: expected an integer from 1 to 2147483647, got -5"]


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


# --- unusual but good configurations: every one synthesizes ----------------------------------


def _env(name: str, account: str, n: int, extra: str = "", *, quiet: bool = True) -> str:
    source = f"aws.partner/auth0.com/t{n}-{n:08x}-0000-4000-8000-000000000000/auth0.logs"
    return (
        f'[environments.{name}]\naws_account_id = "{account}"\naws_region = "eu-west-1"\n{"alarms_unsubscribed = true" if quiet else ""}\n'
        f'auth0_event_source = "{source}"\n{extra}'
    )


UNUSUAL_GOOD = {
    "one-environment": _env("solo", "111111111111", 1),
    "ten-environments": "".join(_env(f"e{n}", f"{n:012d}", n) for n in range(1, 11)),
    "minimal-retention": _env("short", "111111111111", 1, "glacier_after_days = 1\nexpire_after_days = 2\n"),
    "every-optional-key": _env(
        "full",
        "111111111111",
        1,
        'project = "audit"\ndeploy_role_arn = "arn:aws:iam::111111111111:role/ci/path/deploy"\n'
        "glacier_after_days = 30\ndeep_archive_after_days = 120\nexpire_after_days = 3650\n"
        "buffer_interval_seconds = 60\nbuffer_size_mib = 128\nlog_retention_days = 3653\nreplay_window_days = 365\n"
        'alarm_email = "sec.team+alarms@example.co.uk"\nno_events_alarm_hours = 168\n'
        'archive_admin_role_arns = ["arn:aws:iam::111111111111:role/ci/path/deploy", '
        '"arn:aws:iam::111111111111:role/break-glass"]\naccept_no_replay_archive = false\n'
        'delivery_delay_alarm_seconds = 86400\nobject_lock_mode = "GOVERNANCE"\nobject_lock_days = 3650\n'
        "athena = true\nathena_start_date = 2024-01-01\nathena_scan_limit_mib = 10\n"
        'athena_results_expire_days = 365\ntags = { "Cost Center" = "42", "team:owner" = "sécurité", Empty = "" }\n'
        'backend = { type = "s3", bucket = "state.example-1", key = "audit/full.tfstate", region = "us-east-1" }\n'
        'detections = ["use_of_auth0_tenant_name_url", "sms_bombarding", "bot_detection_turned_off"]\n'
        'detections_exclude = ["bot_detection_turned_off"]\ndetections_min_level = "low"\n'
        "detection_thresholds = { sms_bombarding = 20 }\n"
        'detection_values = { auth0_tenant_domain = "audit.us.auth0.com" }\n'
        'security_email = "soc+detections@example.co.uk"\n',
        quiet=False,
    ),
    "two-managed-streams": (
        '[defaults]\nalarm_email = "sec@example.com"\n'
        '[environments.dev]\naws_account_id = "111111111111"\naws_region = "eu-central-2"\n'
        '[environments.dev.auth0]\ndomain = "acme-dev.eu.auth0.com"\n'
        'pii_fields = ["email"]\npii_method = "mask"\nstart_from = 2026-11-01T00:00:00+01:00\n'
        '[environments.prod]\naws_account_id = "222222222222"\naws_region = "us-west-2"\n'
        '[environments.prod.auth0]\ndomain = "acme.auth0.com"\nfilters = ["auth.login.fail", "other"]\n'
    ),
    "prefix-of-32": _env("environment-of-32c", "111111111111", 1, 'project = "audit-archive"\n'),
    "byte-order-mark": "\ufeff" + _env("bom", "111111111111", 1),
}


@pytest.fixture(scope="module")
def unusual_stacks() -> dict[str, dict[str, dict]]:
    from tests.conftest import synth_all

    return {name: synth_all(parse_config(text, f"{name}.toml")) for name, text in UNUSUAL_GOOD.items()}


@pytest.mark.parametrize("name", sorted(UNUSUAL_GOOD))
def test_unusual_good_configurations_synthesize(name: str, unusual_stacks: dict[str, dict[str, dict]]) -> None:
    from tests.terraform_reader import stack_problems

    stacks = unusual_stacks[name]
    assert stacks
    for env_name, doc in stacks.items():
        assert doc["resource"], env_name
        assert stack_problems(doc, env_name) == []


def test_the_unusual_good_ones_are_what_they_claim(unusual_stacks: dict[str, dict[str, dict]]) -> None:
    assert len(unusual_stacks["ten-environments"]) == 10
    prefix = parse_config(UNUSUAL_GOOD["prefix-of-32"], "p.toml").environments[0].name_prefix
    assert len(prefix) == 32
    full = parse_config(UNUSUAL_GOOD["every-optional-key"], "f.toml").environment("full")
    unset = [key for key, value in vars(full).items() if value is None]
    assert unset == ["auth0"]  # every other key is set
    assert full.athena_start_date == "2024-01-01"  # a native TOML date, accepted
    managed = parse_config(UNUSUAL_GOOD["two-managed-streams"], "m.toml")
    assert [env.auth0.start_from for env in managed.environments if env.auth0] == ["2026-10-31T23:00:00Z", None]


# --- the README's configuration tables come from the declarations --------------------------


def test_the_configuration_tables_are_generated_from_the_declarations() -> None:
    from modules.contract.docs import with_generated_tables
    from tests.conftest import ROOT

    readme = (ROOT / "docs" / "configuration.md").read_text()
    assert "<!-- settings table: generated from modules/contract/settings.py by make docs -->" in readme
    assert "<!-- auth0 table: generated from modules/contract/settings.py by make docs -->" in readme
    assert with_generated_tables(readme) == readme, "run make docs"


def test_every_declared_setting_is_a_field_with_a_doc_and_a_kind() -> None:
    from modules.contract.settings import AUTH0_SETTINGS, SETTINGS

    for settings in (SETTINGS, AUTH0_SETTINGS):
        for key, spec in settings.items():
            assert spec.doc.endswith("."), key
            assert spec.kind.allowed(), key
