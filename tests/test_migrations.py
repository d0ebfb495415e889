"""Migrations: one head, and the models agree with what the migrations build."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import Migrate

from hotline.extensions import db


def test_the_migrations_have_a_single_head(app: Flask) -> None:
    migrate: Migrate = app.extensions["migrate"].migrate
    config = migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_the_models_and_the_migrated_schema_agree(app: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_every_migration_file_is_date_prefixed_and_imports_no_app_code(app: Flask) -> None:
    migrate: Migrate = app.extensions["migrate"].migrate
    directory = ScriptDirectory.from_config(migrate.get_config())
    for revision in directory.walk_revisions():
        path = revision.path
        name = path.rsplit("/", 1)[-1]
        assert name[:8].isdigit(), name
        source = Path(path).read_text(encoding="utf-8")
        assert "import hotline" not in source and "from hotline" not in source, name
        assert revision.doc, f"{name} has no message"


def test_only_merged_tickets_are_in_the_parent_index(app: Flask) -> None:
    """A full index of parent_id, NULL on almost every ticket, let PostgreSQL without fresh
    statistics AND it into the caller lookup's "parent_id IS NULL" (some 8,900 index entries
    walked a lookup at 9,000 tickets; docs/benchmarks/intake.md); the partial index cannot serve
    IS NULL."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            sql = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_tickets_parent_id'"
        else:
            sql = "SELECT sql FROM sqlite_master WHERE name = 'ix_tickets_parent_id'"
        definition = connection.exec_driver_sql(sql).scalar_one()
    assert "parent_id IS NOT NULL" in definition
