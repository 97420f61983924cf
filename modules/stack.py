"""One Terraform stack per environment: the whole Auth0 log archive pipeline."""

from __future__ import annotations

from dataclasses import replace

from constructs import Construct

from modules.constructs import aws
from modules.constructs.alarms import PipelineAlarms, WatchedChanges, WatchedPipeline
from modules.constructs.archive_bucket import AccessLogBucket, ArchiveBucket, ObjectLock
from modules.constructs.archive_queries import ArchiveQueries
from modules.constructs.auth0 import Auth0EventBridgeLogStream, Auth0Provider, PiiConfig
from modules.constructs.aws import core
from modules.constructs.delivery_stream import Buffering, DeliveryStream
from modules.constructs.detections import HuntingQuery, LiveDetection, LiveDetections, ScheduledHunting
from modules.constructs.encryption_key import AlarmKey, ArchiveKey
from modules.constructs.event_ingest import PartnerEventIngest
from modules.constructs.private_bucket import Retention
from modules.constructs.terraform_text import literal
from modules.contract import naming
from modules.contract.athena_table import NamedQuery
from modules.contract.detections import for_environment
from modules.contract.settings import Environment
from modules.contract.sigma_athena import scheduled
from modules.contract.versions import TERRAFORM_REQUIRED_VERSION


def terraform_literals(env: Environment) -> Environment:
    """The environment with every free-text setting that reaches a resource or provider escaped as a Terraform
    literal: the one place where user text becomes Terraform text.

    Terraform reads every string of a .tf.json as a template, so a ``${...}`` in an e-mail address, a role
    path or a stream name would be evaluated at plan time (``${file("...")}`` reads the planning machine's
    files). The other settings cannot hold ``${`` or ``%{`` (their rules refuse ``$``, ``{`` and ``%``), and
    the backend block is not a template (Terraform takes its strings as written), so it is left alone.
    """
    roles = env.archive_admin_role_arns
    return replace(
        env,
        alarm_email=literal(env.alarm_email) if env.alarm_email else env.alarm_email,
        security_email=literal(env.security_email) if env.security_email else env.security_email,
        deploy_role_arn=literal(env.deploy_role_arn) if env.deploy_role_arn else env.deploy_role_arn,
        archive_admin_role_arns=tuple(literal(arn) for arn in roles) if roles is not None else None,
        auth0=replace(env.auth0, stream_name=literal(env.auth0.stream_name)) if env.auth0 else None,
    )


class ArchiveStack(core.TerraformStack):
    """Auth0 partner events → EventBridge rule → Firehose → S3 (→ Glacier → expiry).

    Around it: a dead-letter queue and a replay archive (nothing lost), an
    access log bucket, one KMS key for everything at rest, alarms, Athena
    over the archive, and optionally the Auth0 log stream itself.
    """

    def __init__(self, scope: Construct, env: Environment) -> None:
        super().__init__(scope, env.stack_name)
        self.environment = env
        env = terraform_literals(env)
        self._provider(env)
        self._backend(env)
        # An older Terraform stops with its own clear message instead of failing on use_lockfile.
        self.add_override("terraform.required_version", TERRAFORM_REQUIRED_VERSION)

        names = env.names
        account, region = env.aws_account_id, env.aws_region
        key = ArchiveKey(
            self, naming.KEY.id, alias=names.key_alias, account_id=account, region=region,
            admin_role_arns=env.admin_roles,
        )  # fmt: skip
        logged_buckets = [names.archive_bucket] + ([names.athena_results_bucket] if env.athena else [])
        access_logs = AccessLogBucket(
            self,
            naming.ACCESS_LOGS.id,
            bucket_name=names.access_log_bucket,
            account_id=account,
            source_bucket_arns=[f"arn:aws:s3:::{name}" for name in logged_buckets],
            expire_after_days=env.expire_after_days,
        )
        bucket = ArchiveBucket(
            self,
            naming.ARCHIVE.id,
            bucket_name=names.archive_bucket,
            key=key,
            retention=Retention(
                glacier_after_days=env.glacier_after_days,
                deep_archive_after_days=env.deep_archive_after_days,
                expire_after_days=env.expire_after_days,
            ),
            access_logs=access_logs.destination,
            object_lock=ObjectLock(env.object_lock_mode, env.object_lock_days)
            if env.object_lock_mode and env.object_lock_days
            else None,
            archived_prefixes=naming.ARCHIVED_PREFIXES,
            admin_role_arns=env.admin_roles,
        )
        stream = DeliveryStream(
            self,
            naming.DELIVERY.id,
            name=names.delivery_stream,
            role_name=names.firehose_role,
            account_id=account,
            region=region,
            bucket_arn=bucket.arn,
            key=key,
            buffering=Buffering(env.buffer_interval_seconds, env.buffer_size_mib),
            log_group_name=names.firehose_log_group,
            log_retention_days=env.log_retention_days,
        )
        partner_event_source = self._auth0_side(env)
        ingest = PartnerEventIngest(
            self,
            naming.INGEST.id,
            rule_name=names.event_rule,
            role_name=names.events_role,
            dead_letter_queue_name=names.dead_letter_queue,
            archive_name=names.replay_archive,
            account_id=account,
            partner_event_source=partner_event_source,
            delivery_stream_arn=stream.arn,
            replay_window_days=env.replay_window_days,
        )
        # The alarms' topic has a key of its own: alarms must outlive a broken archive key.
        alarm_key = AlarmKey(
            self, naming.ALARM_KEY.id, alias=names.alarm_key_alias, account_id=account,
            admin_role_arns=env.admin_roles,
        )  # fmt: skip
        detections = for_environment(env)
        # Validation refuses hunting_every_hours without a hunting rule; the schedule needs both all the same.
        scheduled_hunting = bool(env.hunting_every_hours and detections.hunting)
        live = None
        if detections.detections:
            live = LiveDetections(
                self,
                naming.DETECTIONS.id,
                topic_name=names.security_topic,
                event_bus_name=ingest.bus.name,
                workgroup_name=names.athena_workgroup,
                account_id=account,
                region=region,
                key=alarm_key,
                detections=[
                    LiveDetection(
                        rule_id=d.id,
                        title=d.title,
                        level=d.level,
                        pattern=d.pattern or {},
                        alert_threshold=d.alert_threshold,
                        rule_name=names.detection(d.id),
                        alarm_name=names.detection(d.id),
                        query_name=names.detection_query(d.id),
                    )
                    for d in detections.live
                ],
                admin_role_arns=env.admin_roles,
                email=env.security_email,
                other_alarm_names=[names.hunting_alarm] if scheduled_hunting else [],
            )
        alarms = PipelineAlarms(
            self,
            naming.ALARMS.id,
            topic_name=names.alarm_topic,
            alarm_names=names.alarms,
            watch_rule_names=names.watch_rules,
            account_id=account,
            region=region,
            key=alarm_key,
            watched=WatchedPipeline(
                event_bus_name=ingest.bus.name,
                rule_name=ingest.rule.name,
                dead_letter_queue_name=ingest.dead_letter_queue.name,
                delivery_stream_name=stream.stream.name,
            ),
            watched_changes=WatchedChanges(
                keys=[(key.arn, key.key.key_id), (alarm_key.arn, alarm_key.key.key_id)],
                bucket_name=names.archive_bucket,
                archived_prefixes=naming.ARCHIVED_PREFIXES,
                error_prefix=naming.ERROR_ROOT,
                ingest_rule_name=names.event_rule,
                ingest_bus_name=ingest.bus.name,
                replay_archive_name=names.replay_archive if ingest.archive is not None else None,
                delivery_stream_name=names.delivery_stream,
                detection_prefix=names.detection_prefix if live is not None else None,
                security_topic_arn=f"arn:aws:sns:{region}:{account}:{names.security_topic}" if live else None,
            ),
            admin_role_arns=env.admin_roles,
            delivery_delay_seconds=env.delivery_delay_alarm_seconds,
            no_events_hours=env.no_events_alarm_hours,
            email=env.alarm_email,
        )

        if env.athena:
            queries = ArchiveQueries(
                self,
                naming.QUERIES.id,
                results_bucket_name=names.athena_results_bucket,
                database_name=names.athena_database,
                workgroup_name=names.athena_workgroup,
                archive_bucket_name=bucket.name,
                key=key,
                first_day=env.athena_start_date,
                objects_live_days=env.expire_after_days,
                scan_limit_bytes=env.athena_scan_limit_mib * 2**20,
                results_expire_days=env.athena_results_expire_days,
                access_logs=access_logs.destination,
                detection_queries=[
                    NamedQuery(names.detection_query(d.id), d.query_description, d.query_sql, d.query_parameters)
                    for d in detections.detections
                ],
            )
            if live is not None and scheduled_hunting:
                ScheduledHunting(
                    self,
                    naming.HUNTING.id,
                    name=names.hunting,
                    schedule_role_name=names.hunting_schedule_role,
                    alarm_name=names.hunting_alarm,
                    hours=env.hunting_every_hours,
                    queries=[
                        HuntingQuery(d.id, names.detection_query(d.id), scheduled(d.query_sql, env.hunting_every_hours))
                        for d in detections.hunting
                    ],
                    workgroup_name=names.athena_workgroup,
                    database_name=names.athena_database,
                    archive_bucket_name=names.archive_bucket,
                    results_bucket_name=names.athena_results_bucket,
                    archive_key_arn=key.arn,
                    alarm_key=alarm_key,
                    topic_arn=live.topic.arn,
                    account_id=account,
                    region=region,
                )
            core.TerraformOutput(
                self,
                "athena_workgroup",
                value=queries.workgroup.name,
                description="Athena workgroup to run the named queries in",
            )
            core.TerraformOutput(
                self,
                "athena_table",
                value=f"{queries.database.name}.{queries.table.name}",
                description="Glue table over the archive",
            )
            core.TerraformOutput(
                self,
                "athena_view",
                value=f"{queries.database.name}.{queries.view.name}",
                description="Each Auth0 event once, with its event_time: the view to query",
            )

        for output, value, description in (
            ("archive_bucket_name", bucket.name, "S3 bucket that keeps the Auth0 logs"),
            ("access_log_bucket_name", access_logs.name, "S3 bucket with the archive bucket's access logs"),
            ("delivery_stream_arn", stream.arn, "Firehose stream that writes to the bucket"),
            ("event_bus_arn", ingest.bus.arn, "Partner event bus of the Auth0 event source"),
            ("event_rule_arn", ingest.rule.arn, "EventBridge rule that forwards Auth0 log events"),
            ("dead_letter_queue_url", ingest.dead_letter_queue.url, "SQS queue of events that could not be delivered"),
            ("alarm_topic_arn", alarms.topic.arn, "SNS topic of the pipeline's alarms: subscribe to it"),
            *(
                [("security_topic_arn", live.topic.arn, "SNS topic of the live detections' alerts")]
                if live is not None
                else []
            ),
        ):
            core.TerraformOutput(self, output, value=value, description=description)
        if ingest.archive is not None:
            core.TerraformOutput(
                self,
                "replay_archive_arn",
                value=ingest.archive.arn,
                description="EventBridge archive to replay events from",
            )

    def _auth0_side(self, env: Environment) -> str:
        """The partner event source: configured, or that of the log stream this stack manages."""
        if env.auth0 is None:
            assert env.auth0_event_source is not None  # the configuration guarantees one of the two
            return env.auth0_event_source
        stream = Auth0EventBridgeLogStream(
            self,
            naming.AUTH0_STREAM.id,
            name=env.auth0.stream_name,
            aws_account_id=env.aws_account_id,
            aws_region=env.aws_region,
            filters=env.auth0.filters,
            pii=PiiConfig(env.auth0.pii_fields, env.auth0.pii_method) if env.auth0.pii_fields else None,
            is_priority=env.auth0.is_priority,
            start_from=env.auth0.start_from,
            provider=Auth0Provider(self, "auth0", domain=env.auth0.domain),
        )
        core.TerraformOutput(self, "auth0_log_stream_id", value=stream.id, description="Auth0 log stream (lst_...)")
        core.TerraformOutput(
            self,
            "partner_event_source",
            value=stream.partner_event_source,
            description="Partner event source Auth0 created for the stream",
        )
        return stream.partner_event_source

    def _provider(self, env: Environment) -> None:
        assume_role = (
            [
                aws.provider.AwsProviderAssumeRole(
                    role_arn=env.deploy_role_arn,
                    session_name=f"cdktf-{env.stack_name}",
                )
            ]
            if env.deploy_role_arn
            else None
        )
        aws.provider.AwsProvider(
            self,
            "aws",
            region=env.aws_region,
            # A plan run with another account's credentials fails instead of
            # creating a second archive in the wrong place.
            allowed_account_ids=[env.aws_account_id],
            assume_role=assume_role,
            default_tags=[aws.provider.AwsProviderDefaultTags(tags=env.default_tags)],
        )

    def _backend(self, env: Environment) -> None:
        backend = env.backend
        if backend.type == "s3":
            s3 = core.S3Backend(
                self,
                bucket=backend.bucket,  # type: ignore[arg-type]
                key=backend.key,  # type: ignore[arg-type]
                region=backend.region,
                encrypt=True,
            )
            # S3-native state locking (Terraform 1.10+); cdktf 0.21 has no argument for it.
            s3.add_override("use_lockfile", True)
        else:
            core.LocalBackend(self, path=backend.path or f"terraform.{env.stack_name}.tfstate")
