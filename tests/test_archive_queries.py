"""modules/constructs/archive_queries.py: the Glue table, the workgroup and the named queries, as synthesized."""

from __future__ import annotations

from modules.contract.athena_table import NAMED_QUERIES
from tests.helpers import named, only, ref, resources
from tests.terraform_reader import literal_value


def test_table_reads_the_archive_bucket_with_projection(prod: dict) -> None:
    bucket, _ = named(prod, "aws_s3_bucket", "archive_bucket")
    database, db = only(prod, "aws_glue_catalog_database")
    _, table = named(prod, "aws_glue_catalog_table", "queries_table")
    assert db["name"] == "auth0_log_archive_prod"
    assert table["database_name"] == ref("aws_glue_catalog_database", database, "name")
    assert table["table_type"] == "EXTERNAL_TABLE"
    location = f"s3://{ref('aws_s3_bucket', bucket, 'id')}/logs/"
    assert table["storage_descriptor"]["location"] == location
    # Athena wants the text s3://<bucket>/logs/${dt}/ (partition projection, "storage.location.template");
    # in Terraform JSON, ${dt} would be a reference, so it is written $${dt}. Read it as Terraform does:
    bucket_id = f"aws_s3_bucket.{bucket}.id"
    template = table["parameters"]["storage.location.template"]
    assert literal_value(template, {bucket_id: "BUCKET"}) == "s3://BUCKET/logs/${dt}/"
    assert table["parameters"]["projection.dt.range"] == "NOW-400DAYS,NOW"
    # Athena reads restored Glacier objects only when the table says so (make restore relies on it).
    assert table["parameters"]["read_restored_glacier_objects"] == "true"
    assert table["partition_keys"] == [{"name": "dt", "type": "string", "comment": "the hour the event happened, UTC"}]
    serde = table["storage_descriptor"]["ser_de_info"]
    assert serde["serialization_library"] == "org.openx.data.jsonserde.JsonSerDe"
    assert "crawler" not in " ".join(prod["resource"])


def test_workgroup_enforces_encrypted_results_and_a_scan_limit(prod: dict, variant_stacks: dict[str, dict]) -> None:
    key, _ = named(prod, "aws_kms_key", "key")
    results, bucket = named(prod, "aws_s3_bucket", "queries_results_bucket")
    assert bucket["bucket"] == "auth0-log-archive-prod-333333333333-athena-results"
    _, workgroup = only(prod, "aws_athena_workgroup")
    config = workgroup["configuration"]
    assert config["enforce_workgroup_configuration"] is True
    assert config["bytes_scanned_cutoff_per_query"] == 10 * 2**30
    assert config["result_configuration"] == {
        "output_location": f"s3://{ref('aws_s3_bucket', results, 'id')}/",
        "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": ref("aws_kms_key", key, "arn")},
    }
    lifecycle = next(r for r in resources(prod, "aws_s3_bucket_lifecycle_configuration").values()
                     if r["bucket"] == ref("aws_s3_bucket", results, "id"))  # fmt: skip
    assert lifecycle["rule"][0]["expiration"] == [{"days": 7}]


def test_named_queries_run_in_the_workgroup_on_the_database(prod: dict) -> None:
    database, _ = only(prod, "aws_glue_catalog_database")
    workgroup, _ = only(prod, "aws_athena_workgroup")
    queries = {q["name"]: q for q in resources(prod, "aws_athena_named_query").values()}
    # and one per detection (tests/test_detections.py)
    assert sorted(q for q in queries if not q.startswith("detect-")) == sorted(q.name for q in NAMED_QUERIES)
    for query in NAMED_QUERIES:
        synthesized = queries[query.name]
        assert literal_value(synthesized["query"]) == query.sql  # the SQL Athena receives
        assert synthesized["database"] == ref("aws_glue_catalog_database", database, "name")
        assert synthesized["workgroup"] == ref("aws_athena_workgroup", workgroup, "id")


def test_athena_can_be_left_out(variant_stacks: dict[str, dict]) -> None:
    # "minimal" takes the default (on); turning it off removes every Athena resource.
    assert resources(variant_stacks["minimal"], "aws_athena_workgroup")
    from modules.contract.validation import parse_config
    from tests.conftest import VARIANTS_TOML, synth_all

    off = VARIANTS_TOML.replace("[environments.minimal]", "[environments.minimal]\nathena = false")
    doc = synth_all(parse_config(off, "off.toml"))["minimal"]
    for resource_type in ("aws_athena_workgroup", "aws_glue_catalog_table", "aws_athena_named_query"):
        assert resources(doc, resource_type) == {}
    assert "athena_workgroup" not in doc["output"]


def test_the_deduplicating_view_is_stored_as_athena_stores_views(prod: dict) -> None:
    """Athena keeps a view in Glue as a VIRTUAL_VIEW whose original text is "/* Presto View: <base64 JSON> */"."""
    import base64
    import json

    from modules.contract.athena_table import VIEW, VIEW_COLUMNS, VIEW_SQL

    database, _ = only(prod, "aws_glue_catalog_database")
    _, view = named(prod, "aws_glue_catalog_table", "queries_view")
    assert view["name"] == VIEW and view["table_type"] == "VIRTUAL_VIEW"
    assert view["database_name"] == ref("aws_glue_catalog_database", database, "name")
    assert view["parameters"] == {"presto_view": "true", "comment": "Presto View"}
    assert view["view_expanded_text"] == "/* Presto View */"
    text = literal_value(view["view_original_text"])
    assert text.startswith("/* Presto View: ") and text.endswith(" */")
    definition = json.loads(base64.b64decode(text.removeprefix("/* Presto View: ").removesuffix(" */")))
    assert definition["originalSql"] == VIEW_SQL
    assert definition["catalog"] == "awsdatacatalog" and definition["schema"] == "auth0_log_archive_prod"
    assert [(c["name"], c["type"]) for c in definition["columns"]] == [(n, p) for n, _, p in VIEW_COLUMNS]
    glue_columns = [(c["name"], c["type"]) for c in view["storage_descriptor"]["columns"]]
    assert glue_columns == [(n, h) for n, h, _ in VIEW_COLUMNS]
    # Both ways: each Presto type of the view's text is the Glue column's Hive type, and back.
    presto = dict((c["name"], c["type"]) for c in definition["columns"])
    for name, hive in glue_columns:
        assert hive_of(presto[name]) == hive and presto_of(hive) == presto[name], name
    # A view's storage descriptor without SerDe info fails every query on it (HIVE_METASTORE_ERROR).
    assert view["storage_descriptor"]["ser_de_info"]


def hive_of(presto: str) -> str:
    """Athena's Presto type as the Glue (Hive) catalog names it: varchar is string, timestamp(3) timestamp,
    row(...) struct<...>."""
    import re

    if presto.startswith("row("):
        fields = re.findall(r"(\w+) (\w+(?:\(\d+\))?)", presto[4:-1])
        return "struct<" + ",".join(f"{n}:{hive_of(t)}" for n, t in fields) + ">"
    return {"varchar": "string", "timestamp(3)": "timestamp", "boolean": "boolean"}[presto]


def presto_of(hive: str) -> str:
    import re

    if hive.startswith("struct<"):
        fields = re.findall(r"(\w+):(\w+)", hive[7:-1])
        return "row(" + ", ".join(f"{n} {presto_of(t)}" for n, t in fields) + ")"
    return {"string": "varchar", "timestamp": "timestamp(3)", "boolean": "boolean"}[hive]
