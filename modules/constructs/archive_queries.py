"""Athena over the archive: a Glue table with partition projection, a workgroup
with enforced settings and its own results bucket, and the named queries."""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from modules.constructs import aws
from modules.constructs.encryption_key import ArchiveKey
from modules.constructs.private_bucket import AccessLogDestination, PrivateBucket, Retention
from modules.constructs.terraform_text import literal
from modules.contract.athena_table import (
    DATA_FIELDS,
    ENVELOPE,
    NAMED_QUERIES,
    PARTITION,
    PARTITION_PATH,
    SERDE,
    SERDE_PARAMETERS,
    TABLE,
    VIEW,
    VIEW_COLUMNS,
    NamedQuery,
    location,
    presto_view_text,
    projection,
    projection_start,
)

glue = aws.glue_catalog_table
athena = aws.athena_workgroup


class ArchiveQueries(Construct):
    """Query the archive with Athena, the day it is deployed.

    No crawler and no ``MSCK REPAIR``: the table projects its hourly
    partitions from the Firehose layout. The workgroup enforces its settings
    (results encrypted with the environment's key in a bucket that forgets
    them after ``results_expire_days``, a per-query scan limit), so a query
    cannot write results elsewhere or scan the whole archive by mistake.
    Athena reads only objects still in S3 Standard: the Glacier transition
    is also the end of the query window.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        results_bucket_name: str,
        database_name: str,
        workgroup_name: str,
        archive_bucket_name: str,
        key: ArchiveKey,
        first_day: str | None,
        objects_live_days: int,
        scan_limit_bytes: int,
        results_expire_days: int,
        access_logs: AccessLogDestination | None = None,
        detection_queries: Sequence[NamedQuery] = (),
    ) -> None:
        super().__init__(scope, id)
        self.results = PrivateBucket(
            self,
            "results",
            bucket_name=results_bucket_name,
            kms_key_arn=key.arn,
            retention=Retention(expire_after_days=results_expire_days, noncurrent_expire_after_days=1),
            access_logs=access_logs,
            prevent_destroy=False,  # query results, not audit data
        )
        self.database = aws.glue_catalog_database.GlueCatalogDatabase(
            self,
            "database",
            name=database_name,
            description="Auth0 tenant logs archived by this stack",
        )
        columns = [glue.GlueCatalogTableStorageDescriptorColumns(name=name, type=kind) for name, kind in ENVELOPE]
        hour = glue.GlueCatalogTablePartitionKeys(
            name=PARTITION, type="string", comment="the hour the event happened, UTC"
        )
        self.table = glue.GlueCatalogTable(
            self,
            "table",
            database_name=self.database.name,
            name=TABLE,
            description=f"Auth0 log events as EventBridge delivered them; the Auth0 record is detail.data "
            f"({len(DATA_FIELDS)} typed fields)",
            table_type="EXTERNAL_TABLE",
            parameters={
                **{
                    name: literal(value)
                    for name, value in projection(projection_start(first_day, objects_live_days)).items()
                },
                # The bucket is a reference; Athena's ${dt} placeholder must reach AWS as written.
                "storage.location.template": location(archive_bucket_name) + literal(PARTITION_PATH),
            },
            partition_keys=[hour],
            storage_descriptor=glue.GlueCatalogTableStorageDescriptor(
                location=location(archive_bucket_name),
                input_format="org.apache.hadoop.mapred.TextInputFormat",
                output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                compressed=True,
                ser_de_info=glue.GlueCatalogTableStorageDescriptorSerDeInfo(
                    serialization_library=SERDE, parameters=SERDE_PARAMETERS
                ),
                columns=columns,
            ),
        )
        # Athena's own form of a view in Glue (what CREATE VIEW stores): one row per event.
        self.view = glue.GlueCatalogTable(
            self,
            "view",
            database_name=self.database.name,
            name=VIEW,
            description="Auth0 log events, each once, with a typed event_time: query this",
            table_type="VIRTUAL_VIEW",
            view_original_text=literal(presto_view_text(database_name)),
            view_expanded_text="/* Presto View */",
            parameters={"presto_view": "true", "comment": "Presto View"},
            storage_descriptor=glue.GlueCatalogTableStorageDescriptor(
                columns=[glue.GlueCatalogTableStorageDescriptorColumns(name=n, type=t) for n, t, _ in VIEW_COLUMNS],
                # Athena fails on a view whose storage descriptor has no SerDe info ("HIVE_METASTORE_ERROR: Table
                # storage descriptor is missing SerDe info"), and the provider sends an empty block as none
                # (hashicorp/terraform-provider-aws#28517): a named one is sent.
                ser_de_info=glue.GlueCatalogTableStorageDescriptorSerDeInfo(name=VIEW),
            ),
            depends_on=[self.table],
        )
        self.workgroup = athena.AthenaWorkgroup(
            self,
            "workgroup",
            name=workgroup_name,
            description="Queries over the Auth0 log archive",
            configuration=athena.AthenaWorkgroupConfiguration(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=scan_limit_bytes,
                engine_version=athena.AthenaWorkgroupConfigurationEngineVersion(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.AthenaWorkgroupConfigurationResultConfiguration(
                    output_location=f"s3://{self.results.name}/",
                    encryption_configuration=athena.AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration(
                        encryption_option="SSE_KMS", kms_key_arn=key.arn
                    ),
                ),
            ),
        )
        self.queries = [
            aws.athena_named_query.AthenaNamedQuery(
                self,
                query.name.replace("-", "_"),
                name=query.name,
                description=query.description
                + (f" (parameters: {', '.join(query.parameters)})" if query.parameters else ""),
                database=self.database.name,
                workgroup=self.workgroup.id,
                query=literal(query.sql),
            )
            for query in (*NAMED_QUERIES, *detection_queries)
        ]
