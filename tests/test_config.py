"""Configuration from the environment: defaults, overrides and failing fast."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hotline.config import ENVIRONMENT, ConfigError, build_config


def test_the_embedded_default_is_sqlite_under_instance_with_inline_jobs(tmp_path: Path) -> None:
    config = build_config(str(tmp_path / "instance"), environ={})
    assert config["EMBEDDED"] is True
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("instance/hotline.sqlite3")
    assert (tmp_path / "instance").is_dir()
    assert config["REDIS_URL"] is None
    assert config["TIMEZONE"] == "Asia/Shanghai"


def test_the_embedded_default_generates_its_own_session_key_readable_only_by_its_owner(
    tmp_path: Path,
) -> None:
    config = build_config(str(tmp_path / "instance"), environ={})
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert config["SECRET_KEY"] == key_file.read_text(encoding="ascii").strip()
    assert len(config["SECRET_KEY"]) >= 32


def test_the_embedded_session_key_is_reused_on_the_next_start(tmp_path: Path) -> None:
    first = build_config(str(tmp_path / "instance"), environ={})
    again = build_config(str(tmp_path / "instance"), environ={})
    assert again["SECRET_KEY"] == first["SECRET_KEY"]


def test_every_embedded_instance_has_a_session_key_of_its_own(tmp_path: Path) -> None:
    one = build_config(str(tmp_path / "one"), environ={})
    other = build_config(str(tmp_path / "other"), environ={})
    assert one["SECRET_KEY"] != other["SECRET_KEY"]


def test_a_set_secret_key_is_used_and_no_key_file_is_written(tmp_path: Path) -> None:
    config = build_config(str(tmp_path), environ={"HOTLINE_SECRET_KEY": "from-the-environment"})
    assert config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


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


def test_business_hours_and_end_of_day_are_configurable(tmp_path: Path) -> None:
    config = build_config(
        str(tmp_path),
        environ={
            "HOTLINE_BUSINESS_HOURS": "08:30-12:00,14:00-18:00",
            "HOTLINE_END_OF_DAY": "18:00",
        },
    )
    assert [(str(a), str(b)) for a, b in config["BUSINESS_HOURS"]] == [
        ("08:30:00", "12:00:00"),
        ("14:00:00", "18:00:00"),
    ]
    assert str(config["END_OF_DAY"]) == "18:00:00"


@pytest.mark.parametrize("hours", ["9-12", "13:00-12:00", "09:00-12:00,11:00-17:00"])
def test_malformed_business_hours_are_a_clear_start_up_error(tmp_path: Path, hours: str) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_BUSINESS_HOURS"):
        build_config(str(tmp_path), environ={"HOTLINE_BUSINESS_HOURS": hours})


@pytest.mark.parametrize("value", ["abc", "5", "-0.1", "nan"])
def test_a_classifier_threshold_that_is_not_a_fraction_is_a_clear_start_up_error(
    tmp_path: Path, value: str
) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_CLASSIFIER_THRESHOLD"):
        build_config(str(tmp_path), environ={"HOTLINE_CLASSIFIER_THRESHOLD": value})


def test_a_classifier_threshold_from_0_to_1_is_read(tmp_path: Path) -> None:
    config = build_config(str(tmp_path), environ={"HOTLINE_CLASSIFIER_THRESHOLD": "0.75"})
    assert config["CLASSIFIER_THRESHOLD"] == 0.75


@pytest.mark.parametrize("value", ["Mars/Base", "../etc/passwd"])
def test_an_unknown_time_zone_is_a_clear_start_up_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_TIMEZONE"):
        build_config(str(tmp_path), environ={"HOTLINE_TIMEZONE": value})


def test_every_variable_in_the_readme_table_is_listed_in_environment_and_back() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("| variable | meaning |", 1)[1].split("\n\n", 1)[0]
    documented = {
        name
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])
    }
    assert documented == set(ENVIRONMENT)


def test_service_area_bounds_are_four_ordered_numbers(tmp_path: Path) -> None:
    bounds = {"HOTLINE_SERVICE_AREA_BOUNDS": "27.9, 112.6, 28.6, 113.3"}
    config = build_config(str(tmp_path), environ=bounds)
    assert config["SERVICE_AREA_BOUNDS"] == (27.9, 112.6, 28.6, 113.3)
    assert build_config(str(tmp_path), environ={})["SERVICE_AREA_BOUNDS"] is None
    for bad in ("27.9,112.6,28.6", "north,112.6,28.6,113.3", "28.6,112.6,27.9,113.3"):
        with pytest.raises(ConfigError, match="HOTLINE_SERVICE_AREA_BOUNDS"):
            build_config(str(tmp_path), environ={"HOTLINE_SERVICE_AREA_BOUNDS": bad})


@pytest.mark.parametrize(
    "url",
    [
        "notaurl",
        "12345.example.gov.cn",
        "/12345",
        "ftp://12345.example.gov.cn",
        "https://",
        "https://12345.example.gov.cn:port",
        "https://12345.example.gov.cn/?from=twilio",
        " https://12345.example.gov.cn",
    ],
)
def test_a_public_url_that_is_not_an_absolute_http_url_stops_start_up(
    tmp_path: Path, url: str
) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_PUBLIC_URL"):
        build_config(str(tmp_path), environ={"HOTLINE_PUBLIC_URL": url})


@pytest.mark.parametrize(
    "url",
    ["https://12345.example.gov.cn", "https://gov.example.cn/12345/", "http://127.0.0.1:8000"],
)
def test_an_absolute_http_public_url_is_read_as_given(tmp_path: Path, url: str) -> None:
    assert build_config(str(tmp_path), environ={"HOTLINE_PUBLIC_URL": url})["PUBLIC_URL"] == url


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HOTLINE_MAX_EXTENSION_WORKING_DAYS", "0"),
        ("HOTLINE_MAX_EXTENSION_WORKING_DAYS", "367"),
        ("HOTLINE_RETURN_WINDOW_WORKING_DAYS", "0"),
        ("HOTLINE_RETURN_WINDOW_WORKING_DAYS", "100000"),
        ("HOTLINE_DUPLICATE_WINDOW_DAYS", "0"),
        ("HOTLINE_DUPLICATE_WINDOW_DAYS", "1000000"),
        ("HOTLINE_SMS_CONVERSATION_MINUTES", "0"),
        ("HOTLINE_SMS_CONVERSATION_MINUTES", "9999999999"),
        ("HOTLINE_QUEUE_MAX_WAIT_SECONDS", "0"),
        ("HOTLINE_SESSION_HOURS", "0"),
        ("HOTLINE_SESSION_HOURS", "99999999999"),
    ],
)
def test_a_number_that_would_switch_a_rule_off_or_overflow_a_date_stops_start_up(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=name):
        build_config(str(tmp_path), environ={name: value})


def test_the_smallest_sensible_numbers_are_read(tmp_path: Path) -> None:
    names = (
        "HOTLINE_MAX_EXTENSION_WORKING_DAYS",
        "HOTLINE_RETURN_WINDOW_WORKING_DAYS",
        "HOTLINE_DUPLICATE_WINDOW_DAYS",
        "HOTLINE_SMS_CONVERSATION_MINUTES",
        "HOTLINE_QUEUE_MAX_WAIT_SECONDS",
        "HOTLINE_SESSION_HOURS",
    )
    config = build_config(
        str(tmp_path), environ={**dict.fromkeys(names, "1"), "HOTLINE_TRUSTED_PROXIES": "0"}
    )
    assert config["MAX_EXTENSION_WORKING_DAYS"] == config["RETURN_WINDOW_WORKING_DAYS"] == 1
    assert config["TRUSTED_PROXIES"] == 0
