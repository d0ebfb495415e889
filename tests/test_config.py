"""Configuration from the environment: defaults, overrides and failing fast."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hotline.config import ENVIRONMENT, ConfigError, build_config
from routing.escalation import DEMO_LADDER_MAPPING
from routing.sla import DEMO_POLICY_MAPPING

# A city's own policy: the demo's, less the key the policy file does not take.
CITY_POLICY = {k: v for k, v in DEMO_POLICY_MAPPING.items() if k != "max_extension_working_days"}


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
    policy.write_text(json.dumps(CITY_POLICY), encoding="utf-8")
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
    assert config["POLICY"] == CITY_POLICY


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


# --- Twilio settings (outbound SMS must not silently go to the log) -------------------------

SID, TOKEN, FROM = "AC" + "0" * 32, "auth-token", "+8610012345"


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN}, "TWILIO_FROM_NUMBER"),
        ({"TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": FROM}, "TWILIO_ACCOUNT_SID"),
        ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_FROM_NUMBER": FROM}, "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_ACCOUNT_SID": SID}, "TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER"),
        ({"TWILIO_FROM_NUMBER": FROM}, "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"),
        (
            {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": ""},
            "TWILIO_FROM_NUMBER",
        ),
    ],
)
def test_incomplete_outbound_twilio_settings_stop_start_up_naming_what_is_missing(
    tmp_path: Path, given: dict[str, str], missing: str
) -> None:
    with pytest.raises(ConfigError, match=f"^{missing} must be set"):
        build_config(str(tmp_path), environ=given)


def test_incomplete_twilio_settings_given_to_create_app_stop_it(tmp_path: Path) -> None:
    from tests.conftest import make_test_app

    with pytest.raises(ConfigError, match="TWILIO_FROM_NUMBER"):
        make_test_app(
            f"sqlite:///{tmp_path / 'h.sqlite3'}",
            TWILIO_ACCOUNT_SID=SID,
            TWILIO_AUTH_TOKEN=TOKEN,
        )


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"TWILIO_AUTH_TOKEN": TOKEN},  # inbound only: webhooks checked, SMS to the log
        {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": FROM},
    ],
)
def test_the_start_up_check_agrees_with_the_sms_sender_it_guards(
    tmp_path: Path, given: dict[str, str]
) -> None:
    from flask import Flask

    from hotline.config import sends_sms
    from hotline.sms import LogSender, TwilioSender, sender_for

    config = build_config(str(tmp_path), environ=given)
    app = Flask(__name__)
    app.config.update(config)
    sender = sender_for(app)
    assert isinstance(sender, TwilioSender if sends_sms(config) else LogSender)
    assert sends_sms(config) == (len(given) == 3)


@pytest.mark.parametrize("name", ["TWILIO_FROM_NUMBER", "HOTLINE_AGENT_NUMBER"])
@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("010 6512 3456", "+861065123456"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("13800138000", "+8613800138000"),
        ("+0123456789", None),
        ("+12", None),
        ("+86-10-6512", None),
    ],
)
def test_a_phone_setting_that_is_not_e164_stops_start_up(
    tmp_path: Path, name: str, value: str, hint: str | None
) -> None:
    environ = {name: value}
    if name == "TWILIO_FROM_NUMBER":
        environ |= {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN}
    with pytest.raises(ConfigError, match=f"{name} must be an E.164") as refused:
        build_config(str(tmp_path), environ=environ)
    if hint:
        assert f"did you mean {hint}" in str(refused.value)


def test_e164_phone_settings_are_read_as_given(tmp_path: Path) -> None:
    config = build_config(
        str(tmp_path),
        environ={
            "TWILIO_ACCOUNT_SID": SID,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_FROM_NUMBER": "+15005550006",
            "HOTLINE_AGENT_NUMBER": "+861065123456",
        },
    )
    assert config["TWILIO_FROM_NUMBER"] == "+15005550006"
    assert config["AGENT_NUMBER"] == "+861065123456"


# --- REDIS_URL, HOTLINE_OPEN311_JURISDICTION -----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "notaurl",
        "127.0.0.1:6379",
        "http://127.0.0.1:6379",
        "redis://h:port/0",
        "unix://",
        "unix:/tmp/redis.sock",
    ],
)
def test_a_redis_url_redis_cannot_use_stops_start_up(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="REDIS_URL"):
        build_config(str(tmp_path), environ={"REDIS_URL": url})


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "rediss://:secret@redis.internal:6380/1",
        "redis://localhost",
        "unix:///run/redis.sock?db=2",
        "redis:///0",  # redis-py's default host, localhost
        "redis://:secret@/1",
    ],
)
def test_a_redis_url_is_read_as_given(tmp_path: Path, url: str) -> None:
    assert build_config(str(tmp_path), environ={"REDIS_URL": url})["REDIS_URL"] == url


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_open311_jurisdiction_means_the_default(tmp_path: Path, value: str) -> None:
    config = build_config(str(tmp_path), environ={"HOTLINE_OPEN311_JURISDICTION": value})
    assert config["OPEN311_JURISDICTION"] == "yunjiang.gov.cn"


def test_an_open311_jurisdiction_is_read(tmp_path: Path) -> None:
    config = build_config(str(tmp_path), environ={"HOTLINE_OPEN311_JURISDICTION": "example.cn"})
    assert config["OPEN311_JURISDICTION"] == "example.cn"


# --- HOTLINE_POLICY_FILE and HOTLINE_LADDER_FILE are built at start-up ---------------------


def _rules_file(tmp_path: Path, document: object) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (None, "empty"),
        ({}, "empty"),
        ([], "empty"),
        ([CITY_POLICY], "empty|JSON object"),
        ({"tiers": {}}, "default_tier"),
        ({**CITY_POLICY, "tiers": {}}, "tiers"),
        ({**CITY_POLICY, "default_tier": "nonexistent"}, "nonexistent"),
        ({**CITY_POLICY, "rules": None}, "wrong shape"),
        ({**CITY_POLICY, "rules": [{"tier": "nonexistent"}]}, "nonexistent"),
        ({**CITY_POLICY, "rule": []}, "unknown key"),
        ({**CITY_POLICY, "tiers": {"normal": {"label_zh": "一般"}}}, "缺少字段"),
    ],
)
def test_a_policy_file_of_the_wrong_shape_stops_start_up(
    tmp_path: Path, document: object, problem: str
) -> None:
    environ = {"HOTLINE_POLICY_FILE": _rules_file(tmp_path, document)}
    with pytest.raises(ConfigError, match="HOTLINE_POLICY_FILE") as refused:
        build_config(str(tmp_path), environ=environ)
    assert re.search(problem, str(refused.value))


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (None, "empty"),
        ({}, "empty"),
        ({"steps": {}}, "steps"),
        ({"steps": [{"level": "warning", "share": 0.8, "notify": "mayor"}]}, "mayor"),
        ({"steps": [{"level": "nonsense", "after_hours": 1}]}, "nonsense"),
        ({**DEMO_LADDER_MAPPING, "escalate_after_reopens": "3"}, "整数"),
        ({**DEMO_LADDER_MAPPING, "step": []}, "unknown key"),
        ({"steps": [["warning"]]}, "对象"),
    ],
)
def test_a_ladder_file_of_the_wrong_shape_stops_start_up(
    tmp_path: Path, document: object, problem: str
) -> None:
    environ = {"HOTLINE_LADDER_FILE": _rules_file(tmp_path, document)}
    with pytest.raises(ConfigError, match="HOTLINE_LADDER_FILE") as refused:
        build_config(str(tmp_path), environ=environ)
    assert re.search(problem, str(refused.value))


def test_create_app_refuses_a_policy_file_of_the_wrong_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import make_test_app

    monkeypatch.setenv("HOTLINE_POLICY_FILE", _rules_file(tmp_path, {"tiers": {}}))
    with pytest.raises(ConfigError, match="HOTLINE_POLICY_FILE"):
        make_test_app(f"sqlite:///{tmp_path / 'h.sqlite3'}")


def test_a_policy_and_a_ladder_of_the_right_shape_are_the_app_s_rules(tmp_path: Path) -> None:
    from hotline.domain import build_domain

    policy = {**CITY_POLICY, "default_tier": "complex"}
    ladder = {**DEMO_LADDER_MAPPING, "escalate_after_units": 5}
    (tmp_path / "ladder").mkdir()
    config = build_config(
        str(tmp_path),
        environ={
            "HOTLINE_POLICY_FILE": _rules_file(tmp_path, policy),
            "HOTLINE_LADDER_FILE": _rules_file(tmp_path / "ladder", ladder),
        },
    )
    domain = build_domain(config)
    assert domain.policy.default_tier == "complex"
    assert domain.ladder.escalate_after_units == 5


def test_an_empty_policy_in_the_config_is_not_replaced_by_the_demo_s(tmp_path: Path) -> None:
    from hotline.domain import RulesError, build_domain

    config = build_config(str(tmp_path), environ={}) | {"POLICY": {}}
    with pytest.raises(RulesError):
        build_domain(config)


def test_the_extension_limit_in_a_policy_file_is_refused_for_the_environment_variable(
    tmp_path: Path,
) -> None:
    # lifecycle reads HOTLINE_MAX_EXTENSION_WORKING_DAYS only: a policy's own limit would be
    # ignored in silence.
    environ = {
        "HOTLINE_POLICY_FILE": _rules_file(
            tmp_path, {**CITY_POLICY, "max_extension_working_days": 20}
        )
    }
    with pytest.raises(ConfigError, match="HOTLINE_POLICY_FILE") as refused:
        build_config(str(tmp_path), environ=environ)
    assert "max_extension_working_days" in str(refused.value)
    assert "HOTLINE_MAX_EXTENSION_WORKING_DAYS" in str(refused.value)


def test_the_open311_discovery_texts_are_read_and_empty_means_the_demo_default(
    tmp_path: Path,
) -> None:
    config = build_config(
        str(tmp_path),
        environ={"HOTLINE_OPEN311_CONTACT": "某市 12345 热线", "HOTLINE_OPEN311_KEY_SERVICE": " "},
    )
    assert config["OPEN311_CONTACT"] == "某市 12345 热线"
    assert config["OPEN311_KEY_SERVICE"] is None


@pytest.mark.parametrize("sender", ["106900", "12345", "HOTLINE", "Yunjiang 12"])
def test_twilio_may_send_from_a_short_code_or_an_alphanumeric_sender_id(
    tmp_path: Path, sender: str
) -> None:
    environ = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": sender}
    assert build_config(str(tmp_path), environ=environ)["TWILIO_FROM_NUMBER"] == sender


def test_an_agent_number_must_still_be_a_phone_number(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"HOTLINE_AGENT_NUMBER must be an E\.164"):
        build_config(str(tmp_path), environ={"HOTLINE_AGENT_NUMBER": "HOTLINE"})


# The demo catalogue's personal matters, written out: a change to the default is a decision.
DEMO_ROOTS = [
    "04.02", "05", "06", "09.01", "10.02", "11.01", "11.03", "11.04", "14.01", "14.03", "17.01",
]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "roots"),
    [
        (None, DEMO_ROOTS),
        ("", DEMO_ROOTS),
        (" A05 , A06.01 ", ["A05", "A06.01"]),
        ("none", []),
        ("NONE", []),
    ],
)  # fmt: skip
def test_the_personal_matter_roots_are_the_demos_a_citys_own_or_none(
    tmp_path: Path, value: str | None, roots: list[str]
) -> None:
    environ = {} if value is None else {"HOTLINE_PERSONAL_MATTER_ROOTS": value}
    assert build_config(str(tmp_path), environ=environ)["PERSONAL_MATTER_ROOTS"] == roots
