"""`flask apikey list` tells keys apart by a prefix that never gives a whole key away."""

from __future__ import annotations

from flask import Flask

from hotline.apikeys import create_key, digest, find_key
from hotline.extensions import db
from hotline.models import ApiKey


def _listed(app: Flask, name: str) -> str:
    result = app.test_cli_runner().invoke(args=["apikey", "list"])
    assert result.exit_code == 0, result.output
    return next(line for line in result.output.splitlines() if f"\t{name}\t" in line)


def test_a_short_key_is_listed_by_half_of_it_and_never_whole(app: Flask) -> None:
    create_key(db.session, "demo", "demo-key")
    line = _listed(app, "demo")
    assert "\tdemo…\t" in line
    assert "demo-key" not in line


def test_a_long_key_is_listed_by_its_first_eight_characters(app: Flask) -> None:
    record, key = create_key(db.session, "crm")
    assert record.prefix == key[:8]
    assert f"\t{key[:8]}…\t" in _listed(app, "crm")


def test_a_short_key_stored_whole_by_an_older_version_is_listed_cut(app: Flask) -> None:
    db.session.add(
        ApiKey(name="legacy", key_digest=digest("old-key"), prefix="old-key", role="integration")
    )
    db.session.flush()
    line = _listed(app, "legacy")
    assert "\told…\t" in line
    assert "old-key" not in line


def test_creating_a_stored_short_key_again_stores_only_its_prefix_and_it_still_works(
    app: Flask,
) -> None:
    db.session.add(
        ApiKey(name="legacy", key_digest=digest("old-key"), prefix="old-key", role="integration")
    )
    db.session.flush()
    record, _ = create_key(db.session, "legacy", "old-key")
    assert record.prefix == "old"
    assert find_key(db.session, "old-key") is record
