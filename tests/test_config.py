"""Configuration from the environment: defaults, overrides and failing fast."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.config import ConfigError, build_config


def test_the_embedded_default_is_sqlite_under_instance_with_inline_jobs(tmp_path: Path) -> None:
    config = build_config(str(tmp_path / "instance"), environ={})
    assert config["EMBEDDED"] is True
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("instance/hotline.sqlite3")
    assert (tmp_path / "instance").is_dir()
    assert config["REDIS_URL"] is None
    assert config["TIMEZONE"] == "Asia/Shanghai"


def test_a_real_database_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_SECRET_KEY"):
        build_config(str(tmp_path), environ={"DATABASE_URL": "postgresql://db/hotline"})


def test_postgres_urls_use_the_psycopg_driver(tmp_path: Path) -> None:
    config = build_config(
        str(tmp_path), environ={"DATABASE_URL": "postgres://db/h", "HOTLINE_SECRET_KEY": "s"}
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/h"


def test_city_rules_come_from_the_environment(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"tiers": {}}), encoding="utf-8")
    config = build_config(
        str(tmp_path),
        environ={
            "HOTLINE_RETURN_WINDOW_WORKING_DAYS": "3",
            "HOTLINE_DUPLICATE_WINDOW_DAYS": "14",
            "HOTLINE_POLICY_FILE": str(policy),
        },
    )
    assert config["RETURN_WINDOW_WORKING_DAYS"] == 3
    assert config["DUPLICATE_WINDOW_DAYS"] == 14
    assert config["POLICY"] == {"tiers": {}}


@pytest.mark.parametrize("value", ["two", "-1"])
def test_a_malformed_number_is_a_clear_start_up_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_MAX_EXTENSION_WORKING_DAYS"):
        build_config(str(tmp_path), environ={"HOTLINE_MAX_EXTENSION_WORKING_DAYS": value})


def test_an_unreadable_policy_file_is_a_clear_start_up_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_POLICY_FILE"):
        build_config(str(tmp_path), environ={"HOTLINE_POLICY_FILE": str(tmp_path / "none.json")})
