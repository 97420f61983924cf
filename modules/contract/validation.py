"""``environments.toml`` → validated, typed settings (``modules/contract/settings.py``).

``load_config`` reads the file, merges ``[defaults]`` into each
``[environments.<name>]`` table and validates *every* environment, and then
the environments against each other, before anything is synthesized. All
problems are reported together, one line each, as
``<file>: <key path>: expected ..., got ...``, with any text the user wrote
escaped so that a line stays one line.
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING
from pathlib import Path
from typing import Any

from modules.contract import aws_rules, naming
from modules.contract.auth0_catalog import unsupported_region
from modules.contract.aws_rules import control_characters, shown
from modules.contract.settings import (
    AUTH0_SETTINGS,
    BACKEND_KEYS,
    MAX_NAME_PREFIX,
    NAME,
    RESERVED_TAGS,
    SETTINGS,
    Auth0Stream,
    Backend,
    Configuration,
    Environment,
    Invalid,
    Kind,
)

DEFAULT_CONFIG_FILE = "environments.toml"
CONFIG_FILE_ENV = "AUTH0_ARCHIVE_CONFIG"
MAX_FILE_BYTES = 1024 * 1024  # a configuration of a hundred environments is about 50 KB


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- messages --------------------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return repr(value)


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


def key_path(*parts: str) -> str:
    """A TOML key path, with any key that is not a bare TOML key quoted and escaped."""
    return ".".join(p if _PLAIN_KEY.fullmatch(p) else shown(p) for p in parts)


# --- reading the file ---------------------------------------------------------------------


def config_path(environ: Mapping[str, str]) -> Path:
    """The configuration file: $AUTH0_ARCHIVE_CONFIG, else environments.toml."""
    if CONFIG_FILE_ENV not in environ:
        return Path(DEFAULT_CONFIG_FILE)
    value = environ[CONFIG_FILE_ENV]
    if not value.strip():
        raise ConfigError([f"{CONFIG_FILE_ENV}: expected the path of a configuration file, got an empty value"])
    return Path(value)


_FILE_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def load_config(path: Path | str, outdir: Path | None = None) -> Configuration:
    """The validated configuration. ``outdir``: where a synth writes (CDKTF_OUTDIR), against which local
    state paths are resolved and checked; cdktf.out by default."""
    source = str(path)
    if control_characters(source):
        source = shown(source)
    return parse_config(read_text(Path(path), source), source, outdir=outdir, config_file=Path(path))


def read_text(path: Path, source: str) -> str:
    """The file's text: a regular, readable UTF-8 file of at most MAX_FILE_BYTES, or a clear refusal."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise ConfigError([f"{source}: cannot read the file: {error.strerror or error}"]) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = _FILE_KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise ConfigError([f"{source}: expected a regular file, got {kind}"])
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise ConfigError([f"{source}: cannot read the file: {error.strerror or error}"]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError([f"{source}: expected a file of at most {MAX_FILE_BYTES // 1024} KiB, got a larger one"])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError([f"{source}: expected UTF-8 text, got an invalid byte at offset {error.start}"]) from None


def parse_config(
    text: str, source: str, *, outdir: Path | None = None, config_file: Path | None = None
) -> Configuration:
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark, as some editors write: not TOML, but harmless
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{source}: invalid TOML: {' '.join(str(error).split())}"]) from None
    except RecursionError:
        raise ConfigError([f"{source}: invalid TOML: arrays or tables nested too deeply"]) from None
    return _Validator(source, outdir, config_file).configuration(document)


# --- validation ----------------------------------------------------------------------------


class _Validator:
    def __init__(self, source: str, outdir: Path | None = None, config_file: Path | None = None) -> None:
        self.source = source
        self.outdir = outdir
        self.config_file = config_file
        self.problems: list[str] = []

    def problem(self, where: tuple[str, ...], message: str) -> None:
        self.problems.append(f"{self.source}: {key_path(*where)}: {message}")

    def expected(self, where: tuple[str, ...], expected: str, value: Any) -> None:
        self.problem(where, f"expected {expected}, got {_show(value)}")

    def unknown_keys(self, where: tuple[str, ...], table: Mapping[str, Any], known: list[str]) -> None:
        for key in table:
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                suggestion = f' (did you mean "{hint[0]}"?)' if hint else ""
                self.problem((*where, key), f"unknown key{suggestion}; expected one of {', '.join(known)}")

    def value(self, where: tuple[str, ...], kind: Kind, value: Any) -> Any:
        """The parsed value, or MISSING after reporting why not."""
        try:
            return kind.parse(value)
        except Invalid as invalid:
            shown_value = invalid.value if invalid.at else value
            self.expected((*where, *invalid.at), invalid.expected, shown_value)
            return MISSING

    def configuration(self, document: dict[str, Any]) -> Configuration:
        self.unknown_keys((), document, ["defaults", "environments"])
        defaults = document.get("defaults", {})
        environments = document.get("environments", {})
        if not isinstance(defaults, dict):
            self.expected(("defaults",), "a table", defaults)
            defaults = {}
        if not isinstance(environments, dict):
            self.expected(("environments",), "a table of environments", environments)
            environments = None
        parsed_defaults = self.settings(("defaults",), defaults)
        if "auth0" in defaults:
            self.problem(("defaults", "auth0"), "expected in an environment: each one streams its own tenant")
        if environments == {}:
            self.problem(("environments",), "expected at least one [environments.<name>] table, got none")

        built: list[Environment] = []
        for name, table in (environments or {}).items():
            where = ("environments", name)
            if not NAME.fullmatch(name):
                self.expected(
                    where,
                    "an environment name of lowercase letters, digits and hyphens, "
                    "starting with a letter (it names the stack and its resources)",
                    name,
                )
                continue
            if not isinstance(table, dict):
                self.expected(where, "a table", table)
                continue
            env = self.environment(name, defaults, parsed_defaults, table)
            if env is not None:
                built.append(env)
        if not self.problems:
            self.states(built)
        if not self.problems:
            self.across(built)
        if self.problems:
            raise ConfigError(self.problems)
        return Configuration(self.source, tuple(built))

    def settings(self, where: tuple[str, ...], table: dict[str, Any]) -> dict[str, Any] | None:
        """The table's own settings, parsed; None when any is invalid (each problem reported)."""
        before = len(self.problems)
        self.unknown_keys(where, table, list(SETTINGS))
        parsed: dict[str, Any] = {}
        for key, raw in table.items():
            if key not in SETTINGS or key == "auth0":
                continue
            value = self.value((*where, key), SETTINGS[key].kind, raw)
            if value is not MISSING and key == "backend":
                value = self.backend((*where, key), value)
            parsed[key] = value
        return parsed if len(self.problems) == before else None

    def backend(self, where: tuple[str, ...], table: dict[str, Any]) -> dict[str, Any] | Any:
        kind = table.get("type", "local")
        if not isinstance(kind, str) or kind not in BACKEND_KEYS:
            self.expected((*where, "type"), f"one of {', '.join(BACKEND_KEYS)}", kind)
            return MISSING
        before = len(self.problems)
        self.unknown_keys(where, table, ["type", *BACKEND_KEYS[kind]])
        parsed = {"type": kind}
        for key, check in BACKEND_KEYS[kind].items():
            if key in table:
                parsed[key] = self.value((*where, key), check, table[key])
        if kind == "s3" and "bucket" not in table:
            self.problem((*where, "bucket"), "missing: an s3 backend needs the state bucket's name")
        return parsed if len(self.problems) == before else MISSING

    def auth0(self, where: tuple[str, ...], raw: Any, prefix: str) -> Auth0Stream | None:
        table = self.value(where, SETTINGS["auth0"].kind, raw)
        if table is MISSING:
            return None
        before = len(self.problems)
        self.unknown_keys(where, table, list(AUTH0_SETTINGS))
        values: dict[str, Any] = {}
        for key, spec in AUTH0_SETTINGS.items():
            if key in table:
                values[key] = self.value((*where, key), spec.kind, table[key])
            elif spec.required:
                self.problem((*where, key), f"missing: {spec.doc}")
        if "pii_method" in table and not table.get("pii_fields"):
            # The provider's pii_config.log_fields takes at least one field; without any,
            # no PII setting would reach Auth0 and the events would leave unmasked.
            self.problem(
                (*where, "pii_fields"), "missing: pii_method needs at least one of the pii_fields it applies to"
            )
        if len(self.problems) > before:
            return None
        values.setdefault("stream_name", f"Amazon EventBridge ({prefix})")
        return Auth0Stream(**values)

    def environment(
        self, name: str, defaults: dict[str, Any], parsed_defaults: dict[str, Any] | None, own: dict[str, Any]
    ) -> Environment | None:
        """Merge defaults into one environment and check what depends on several keys.

        Keys invalid where they are written were reported already; then only
        missing keys are reported here.
        """
        where = ("environments", name)
        parsed_own = self.settings(where, own)
        before = len(self.problems)

        merged: dict[str, Any] = {key: spec.default for key, spec in SETTINGS.items()}
        merged.update(parsed_defaults or {})
        merged.update(parsed_own or {})
        merged["tags"] = {**(parsed_defaults or {}).get("tags", {}), **(parsed_own or {}).get("tags", {})}

        for key, spec in SETTINGS.items():
            if spec.required and key not in own and key not in defaults:
                self.problem((*where, key), f"missing: {spec.doc}")
        has_source = own.get("auth0_event_source", defaults.get("auth0_event_source")) is not None
        if has_source == ("auth0" in own):
            self.problem(
                where,
                "expected exactly one of auth0_event_source (a stream made in Auth0) and an [auth0] table "
                f"(a stream managed here), got {'both' if has_source else 'neither'}",
            )
        prefix = f"{merged['project']}-{name}" if isinstance(merged["project"], str) else name
        stream = self.auth0((*where, "auth0"), own["auth0"], prefix) if "auth0" in own else None
        if parsed_defaults is None or parsed_own is None or len(self.problems) > before:
            return None

        def origin(key: str) -> str:
            return "" if key in own else " (from [defaults])" if key in defaults else " (the default)"

        self.cross_checks(where, merged, origin, managed=stream is not None)
        if len(self.problems) > before:
            return None
        backend = dict(merged["backend"]) if isinstance(merged["backend"], dict) else {"type": "local"}
        if backend["type"] == "s3":
            backend.setdefault("region", merged["aws_region"])
            backend.setdefault("key", f"{merged['project']}/{name}.tfstate")
        return Environment(name=name, **{**merged, "backend": Backend(**backend), "auth0": stream})

    def cross_checks(
        self, where: tuple[str, ...], merged: dict[str, Any], origin: Callable[[str], str], *, managed: bool
    ) -> None:
        """Rules between keys of one merged environment."""
        self.derived_names(where, merged, origin)
        self.retention(where, merged, origin)
        self.merged_tags(where, merged["tags"])
        if merged["delivery_delay_alarm_seconds"] <= merged["buffer_interval_seconds"]:
            self.problem(
                (*where, "delivery_delay_alarm_seconds"),
                f"expected more than buffer_interval_seconds ({merged['buffer_interval_seconds']}), "
                f"got {merged['delivery_delay_alarm_seconds']}{origin('delivery_delay_alarm_seconds')}",
            )
        if managed and (expected := unsupported_region(merged["aws_region"])):
            self.expected((*where, "aws_region"), expected, merged["aws_region"])
        roles = [("deploy_role_arn", merged["deploy_role_arn"])] if merged["deploy_role_arn"] else []
        roles += [
            (f"archive_admin_role_arns.{index}", arn)
            for index, arn in enumerate(merged["archive_admin_role_arns"] or ())
        ]
        for key, role in roles:
            if (account := aws_rules.role_arn_account(role)) != merged["aws_account_id"]:
                self.problem(
                    (*where, *key.split(".")),
                    f"expected a role in the environment's account {merged['aws_account_id']}, got one in {account}",
                )
        admins = merged["archive_admin_role_arns"]
        if merged["deploy_role_arn"] and admins is not None and merged["deploy_role_arn"] not in admins:
            # The bucket policy would deny the role that applies the stack its next change of the bucket.
            self.problem(
                (*where, "archive_admin_role_arns"),
                f"expected a list that holds deploy_role_arn{origin('deploy_role_arn')} "
                f"({merged['deploy_role_arn']}): the bucket policy denies everyone else the changes Terraform "
                f"makes, so the next apply would be locked out; got {list(admins)}{origin('archive_admin_role_arns')}",
            )
        self.safety_nets(where, merged, origin)
        self.detections(where, merged, origin)

    def safety_nets(self, where: tuple[str, ...], merged: dict[str, Any], origin: Callable[[str], str]) -> None:
        """Giving up a safety net is said in words, not implied by a default."""
        self.subscriber(
            where, merged, origin, email="alarm_email", unsubscribed="alarms_unsubscribed", what="the alarms",
            topic="alarm topic",
        )  # fmt: skip
        if merged["replay_window_days"] == 0 and not merged["accept_no_replay_archive"]:
            self.problem(
                (*where, "replay_window_days"),
                "expected 1 to 365, got 0: without the replay archive, events Firehose could not deliver for "
                "24 hours are lost for good; set accept_no_replay_archive = true to say so",
            )
        elif merged["replay_window_days"] and merged["accept_no_replay_archive"]:
            self.problem(
                (*where, "accept_no_replay_archive"),
                f"expected false with replay_window_days = {merged['replay_window_days']}"
                f"{origin('replay_window_days')}, got true",
            )

    def detections(self, where: tuple[str, ...], merged: dict[str, Any], origin: Callable[[str], str]) -> None:
        """Rule ids the catalog has, values of the kinds the rules take, and every chosen rule able to run."""
        from modules.contract import detections as catalog_module

        keys = ("detections", "detections_exclude", "detection_thresholds", "detection_values", "security_email",
                "hunting_every_hours")  # fmt: skip
        if not any(merged[key] not in ((), {}, None, 0) for key in keys):
            return
        catalog = catalog_module.catalog()
        before = len(self.problems)
        self.detection_names(where, merged, origin, catalog)
        if len(self.problems) > before:
            return
        run = catalog_module.project_detections(
            choice=merged["detections"], exclude=merged["detections_exclude"],
            min_level=merged["detections_min_level"], thresholds=merged["detection_thresholds"],
            values=merged["detection_values"],
        )  # fmt: skip
        for rule_id, reason in run.refused.items():
            self.problem((*where, "detections"), f"rule {rule_id} cannot run here: {reason}; leave it out "
                         "(detections_exclude) or give what it needs")  # fmt: skip
        for rule_id in merged["detection_thresholds"]:
            if rule_id not in run.ids:
                self.problem(
                    (*where, "detection_thresholds", rule_id),
                    f"expected a threshold only for a rule run here, got one for {rule_id}"
                    f"{origin('detection_thresholds')}",
                )
        if merged["hunting_every_hours"] and not run.hunting:
            self.problem(
                (*where, "hunting_every_hours"),
                f"expected 0 with no hunting rule run here, got {merged['hunting_every_hours']}"
                f"{origin('hunting_every_hours')}",
            )
        if run.ids and not merged["athena"]:
            self.problem(
                (*where, "athena"),
                "expected true with detections: hunting rules and every alert's query are Athena named queries",
            )
        if run.ids:
            self.subscriber(
                where, merged, origin, email="security_email", unsubscribed="security_unsubscribed",
                what="the detections' alerts", topic="security topic",
            )  # fmt: skip
        elif merged["security_email"] is not None:
            self.problem(
                (*where, "security_email"),
                f"expected only with detections (none run here), got an address{origin('security_email')}",
            )

    def subscriber(
        self, where: tuple[str, ...], merged: dict[str, Any], origin: Callable[[str], str], *, email: str,
        unsubscribed: str, what: str, topic: str,
    ) -> None:  # fmt: skip
        """A topic's subscriber is given, or its absence is said in words: not both, not neither."""
        if merged[email] is None and not merged[unsubscribed]:
            self.problem(
                (*where, email),
                f"missing: nobody would receive {what}. Give an address, or set {unsubscribed} = true "
                f"if you subscribe to the {topic} another way",
            )
        elif merged[email] is not None and merged[unsubscribed]:
            article = "an" if email[0] in "aeiou" else "a"
            self.problem((*where, unsubscribed), f"expected false with {article} {email}{origin(email)}, got true")

    def detection_names(
        self, where: tuple[str, ...], merged: dict[str, Any], origin: Callable[[str], str], catalog: Any
    ) -> None:
        """Every rule id named is in the catalog; every value named is one a rule takes, of its kind."""
        known = catalog.ids()
        chosen = merged["detections"]
        for key, ids in (
            ("detections", () if chosen == "all" else chosen),
            ("detections_exclude", merged["detections_exclude"]),
            ("detection_thresholds", tuple(merged["detection_thresholds"])),
        ):
            for rule_id in ids:
                if rule_id not in catalog.rules:
                    near = difflib.get_close_matches(rule_id, known, n=1)
                    hint = f" (did you mean {near[0]}?)" if near else ""
                    self.problem(
                        (*where, key),
                        f"expected rule ids of the catalog ({', '.join(known)}), got {shown(rule_id)}{hint}"
                        f"{origin(key)}",
                    )
        for name, value in merged["detection_values"].items():
            spec = catalog.values.get(name)
            if spec is None:
                self.problem(
                    (*where, "detection_values", name),
                    f"expected a value the rules take ({', '.join(sorted(catalog.values))}), got {shown(name)}"
                    f"{origin('detection_values')}",
                )
            elif (expected := spec.problem(value)) is not None:
                self.expected((*where, "detection_values", name), expected, value)

    def derived_names(self, where: tuple[str, ...], merged: dict[str, Any], origin: Callable[[str], str]) -> None:
        """The prefix fits, and every AWS name derived from it obeys AWS's rules."""
        prefix = f"{merged['project']}-{where[-1]}"
        if len(prefix) > MAX_NAME_PREFIX:
            self.problem(
                where,
                f'expected "<project>-<environment>" of at most {MAX_NAME_PREFIX} characters '
                f"(it prefixes bucket and role names), got {shown(prefix)} ({len(prefix)})",
            )
            return
        for derived in naming.Names(prefix, merged["aws_account_id"]).aws_names():
            if (expected := aws_rules.aws_name(derived.kind, derived.name)) is not None:
                self.problem(
                    (*where, "project"),
                    f"expected a project from which valid AWS names derive ({expected}), "
                    f"got {shown(merged['project'])}{origin('project')}: the {derived.kind} would be "
                    f"{shown(derived.name)}",
                )
                return

    def retention(self, where: tuple[str, ...], merged: dict[str, Any], origin: Callable[[str], str]) -> None:
        """Transitions in order, expiry after them, and object lock within the expiry."""
        glacier, deep = merged["glacier_after_days"], merged["deep_archive_after_days"]
        expire = merged["expire_after_days"]
        # S3 PutBucketLifecycleConfiguration refuses a DEEP_ARCHIVE transition less than 90 days after the GLACIER
        # one ("must be 90 days more than ... StorageClass 'GLACIER'": Glacier Flexible Retrieval's minimum
        # storage duration; S3 User Guide, "Transitioning objects using Amazon S3 Lifecycle", constraints).
        if deep is not None and deep < glacier + aws_rules.GLACIER_MINIMUM_DAYS:
            self.problem(
                (*where, "deep_archive_after_days"),
                f"expected at least {aws_rules.GLACIER_MINIMUM_DAYS} days after glacier_after_days ({glacier}"
                f"{origin('glacier_after_days')}), so at least {glacier + aws_rules.GLACIER_MINIMUM_DAYS}: S3 "
                f"refuses a shorter stay in Glacier Flexible Retrieval, got {deep}{origin('deep_archive_after_days')}",
            )
        last_name = "deep_archive_after_days" if deep is not None else "glacier_after_days"
        last_transition = deep if deep is not None else glacier
        if expire <= last_transition:
            self.problem(
                (*where, "expire_after_days"),
                f"expected more than {last_name} ({last_transition}), got {expire}{origin('expire_after_days')}",
            )
        lock_mode, lock_days = merged["object_lock_mode"], merged["object_lock_days"]
        if (lock_mode is None) != (lock_days is None):
            missing = "object_lock_days" if lock_days is None else "object_lock_mode"
            self.problem((*where, missing), "missing: object_lock_mode and object_lock_days go together")
        elif lock_days is not None and lock_days > expire:
            self.problem(
                (*where, "object_lock_days"),
                f"expected at most expire_after_days ({expire}): a locked object cannot expire, "
                f"got {lock_days}{origin('object_lock_days')}",
            )

    def merged_tags(self, where: tuple[str, ...], tags: Mapping[str, str]) -> None:
        """Tag count with the stack's own, and keys that differ only in case (defaults and environment merged)."""
        if len(tags) + len(RESERVED_TAGS) > aws_rules.MAX_TAGS:
            self.problem(
                (*where, "tags"),
                f"expected at most {aws_rules.MAX_TAGS - len(RESERVED_TAGS)} tags (AWS allows {aws_rules.MAX_TAGS} "
                f"a resource and the stack adds {', '.join(RESERVED_TAGS)}), got {len(tags)}",
            )
        seen: dict[str, str] = {}
        for key in tags:
            if key.lower() in seen:
                self.problem(
                    (*where, "tags", key),
                    f"expected tag keys that differ in more than case (IAM treats them as one), "
                    f"got {shown(key)} beside {shown(seen[key.lower()])}",
                )
            seen.setdefault(key.lower(), key)

    def states(self, environments: list[Environment]) -> None:
        """A state file must overwrite nothing, and a state bucket must be none of the stacks' own."""
        ours = {bucket: env.name for env in environments for bucket in env.names.bucket_names()}
        layout = _layout(self.outdir)
        written = {layout.stack_file(env.stack_name).resolve() for env in environments}
        written.add((layout.root / "manifest.json").resolve())
        config = self.config_file.resolve() if self.config_file else None
        for env in environments:
            backend = env.backend
            where = ("environments", env.name, "backend")
            if backend.type == "s3":
                if backend.bucket in ours:
                    self.problem(
                        (*where, "bucket"),
                        f"expected a bucket of its own for the Terraform state, got {shown(backend.bucket)}, "
                        f"which the stack of environments.{ours[backend.bucket]} creates and manages",
                    )
                continue
            path = Path(state_location(env, self.outdir))
            what = None
            if path in written:
                what = "a file the synth writes"
            elif config is not None and path == config:
                what = "the configuration file"
            elif path.is_dir():
                what = "a directory"
            elif path.exists() and not path.is_file():
                what = "a device, pipe or socket"
            elif not (parent := _nearest_existing(path.parent)) or not parent.is_dir():
                what = "a path below something that is not a directory"
            if what:
                self.problem(
                    (*where, "path"),
                    f"expected a path for a new or existing state file, got {shown(backend.path)}: {shown(str(path))} "
                    f"is {what}",
                )

    def across(self, environments: list[Environment]) -> None:
        """What no two environments may share: a stack, a state, a partner source, an AWS name."""

        def claims(env: Environment) -> Iterator[tuple[tuple[str, ...], str, str]]:
            yield ("stack",), env.stack_name, f"the stack name {shown(env.stack_name)}"
            state = state_location(env, self.outdir)
            # Case-insensitive file systems (macOS, Windows) make State.tfstate and state.tfstate one file.
            yield ("state",), state.casefold(), f"the Terraform state {shown(state)}"
            if env.auth0_event_source is not None:
                yield ("source",), env.auth0_event_source, "the Auth0 partner event source (one feeds one environment)"
            for derived in env.names.aws_names():
                scope = {"global": (), "account": (env.aws_account_id,)}.get(
                    derived.scope, (env.aws_account_id, env.aws_region)
                )
                where = f" in account {env.aws_account_id}" if scope else ""
                yield ("aws", derived.kind, *scope), derived.name, f"the {derived.kind} {shown(derived.name)}{where}"

        seen: dict[tuple[tuple[str, ...], str], str] = {}
        for env in environments:
            for scope, value, what in claims(env):
                other = seen.setdefault((scope, value), env.name)
                if other != env.name:
                    self.problem(
                        ("environments", env.name),
                        f"expected nothing in common with another environment, got {what}, as environments.{other} has",
                    )
                    break


def state_location(env: Environment, outdir: Path | None = None) -> str:
    """Where the environment's state lives, comparable across environments."""
    backend = env.backend
    if backend.type == "s3":
        return f"s3://{backend.bucket}/{backend.key}"
    # cdktf runs Terraform in <outdir>/stacks/<stack>/: a relative path is relative to it.
    stack_dir = _layout(outdir).stack_dir(env.stack_name).resolve()
    return str((stack_dir / (backend.path or f"terraform.{env.stack_name}.tfstate")).resolve())


def _layout(outdir: Path | None) -> naming.SynthOutput:
    """The synth's output layout: ``outdir`` (CDKTF_OUTDIR), else cdktf.out."""
    return naming.SynthOutput(outdir) if outdir else naming.SynthOutput()


def _nearest_existing(path: Path) -> Path | None:
    """``path`` if it exists, else its nearest existing ancestor (what is missing below it can be created)."""
    return next((p for p in (path, *path.parents) if p.exists()), None)


OUTDIR_ENV = "CDKTF_OUTDIR"


def synth_environment_problems(environ: Mapping[str, str]) -> list[str]:  # noqa: PLR0912 - one branch a variable
    """What is wrong with the environment variables cdktf reads during a synth, one line each.

    cdktf would fail on them later, with a jsii stack trace, or write something
    our tools do not read.
    """
    import json

    problems = []
    engine = environ.get("ARCHIVE_ENGINE", "")
    if engine not in ("", "cdktf", "cdktn"):
        problems.append(f"ARCHIVE_ENGINE: expected cdktf (the default) or cdktn, got {shown(engine)}")
    if engine == "cdktn":
        import importlib.util

        if importlib.util.find_spec("cdktn") is None:
            problems.append(
                "ARCHIVE_ENGINE: cdktn is not installed in this Python environment: run make cdktn and synthesize "
                "with make synth ENGINE=cdktn (its own environment, tools/cdktn/), or unset ARCHIVE_ENGINE"
            )
    if (context := environ.get("CDKTF_CONTEXT_JSON")) is not None:

        def not_json(constant: str) -> None:  # JSON has no NaN or Infinity; Python's parser accepts them
            raise ValueError(f"{constant} is not JSON")

        try:
            parsed = json.loads(context, parse_constant=not_json)
        except json.JSONDecodeError as error:
            problems.append(
                f"CDKTF_CONTEXT_JSON: expected a JSON object, got invalid JSON ({error.msg} at {error.pos})"
            )
        except ValueError as error:
            problems.append(f"CDKTF_CONTEXT_JSON: expected a JSON object, got invalid JSON ({error})")
        except RecursionError:
            problems.append("CDKTF_CONTEXT_JSON: expected a JSON object, got one nested too deeply")
        else:
            if not isinstance(parsed, dict):
                problems.append(f"CDKTF_CONTEXT_JSON: expected a JSON object, got {type(parsed).__name__}")
    if environ.get("SYNTH_HCL_OUTPUT", "").lower() in ("true", "1", "yes"):
        problems.append(
            "SYNTH_HCL_OUTPUT: expected it unset (cdktf synth --hcl sets it): this project writes Terraform JSON, "
            "which make review, make scan, make plan and the tests read; run cdktf synth without --hcl"
        )
    if (outdir := environ.get(OUTDIR_ENV)) is not None:
        if not outdir.strip() or control_characters(outdir):
            problems.append(f"{OUTDIR_ENV}: expected a directory path, got {shown(outdir)}")
        elif Path(outdir).exists() and not Path(outdir).is_dir():
            problems.append(f"{OUTDIR_ENV}: expected a directory, got the file {shown(outdir)}")
        elif (problem := _outdir_problem(Path(outdir))) is not None:
            problems.append(f"{OUTDIR_ENV}: expected a directory we can write, got {shown(outdir)}: {problem}")
    return problems


def _outdir_problem(outdir: Path) -> str | None:
    """Why a synth could not write into ``outdir`` (created with its parents if missing), or None."""
    if outdir.is_symlink() and not outdir.exists():
        return "a symbolic link to nothing"
    existing = _nearest_existing(outdir)
    if existing is None or not existing.is_dir():
        return f"{shown(str(existing))} is not a directory" if existing else "no part of it exists"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{shown(str(existing))} is not writable"
    return None


def main(argv: list[str]) -> int:
    """python -m modules.contract.validation --names: the environments as JSON (CI matrices);
    --docs FILE...: rewrite the generated configuration tables in those files."""
    import json
    import sys

    if argv[1:2] == ["--docs"]:
        from modules.contract.docs import with_generated_tables

        for name in argv[2:]:
            path = Path(name)
            path.write_text(with_generated_tables(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    try:
        configuration = load_config(config_path(os.environ))
    except ConfigError as error:
        print("\n".join(error.problems), file=sys.stderr)
        return 2
    print(json.dumps([env.name for env in configuration.environments]))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
