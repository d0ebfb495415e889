"""`flask apikey create|list|revoke`: integration bearer tokens."""

from __future__ import annotations

import click
from sqlalchemy import select

from hotline.apikeys import create_key, shown_prefix
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import ApiKey
from hotline.transaction import commit


@click.group()
def apikey() -> None:
    """Integration API keys (REST bearer tokens and the Open311 api_key)."""


@apikey.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Create a key for NAME and print it once."""
    record, key = create_key(db.session, name)
    commit()
    click.echo(f"{record.id}\t{name}\t{key}")


@apikey.command("list")
def list_keys() -> None:
    for record in db.session.scalars(select(ApiKey).order_by(ApiKey.id)):
        state = "revoked" if record.revoked_at else "active"
        click.echo(f"{record.id}\t{record.name}\t{shown_prefix(record)}…\t{state}")


@apikey.command("revoke")
@click.argument("key_id", type=int)
def revoke(key_id: int) -> None:
    record = db.session.get(ApiKey, key_id)
    if record is None:
        raise click.ClickException(f"no API key with id {key_id}")
    record.revoked_at = utcnow()
    commit()
    click.echo(f"revoked {key_id}")
