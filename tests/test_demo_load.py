"""`flask demo load` loads the demo city idempotently, with users and the API key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from hotline.apikeys import find_key
from hotline.demo.loader import DATA, load_demo
from hotline.extensions import db
from hotline.models import Area, Matter, Unit, User
from hotline.routing_context import invalidate


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Area, Matter, Unit, User)
    }


def test_loading_the_demo_city_twice_changes_nothing_the_second_time(app: Flask) -> None:
    before = counts()
    load_demo(db.session, "test-password", "test-api-key")
    db.session.flush()
    assert counts() == before
    assert before["areas"] >= 85 and before["units"] >= 40


def test_demo_users_get_the_configured_password_and_the_api_key_works(app: Flask) -> None:
    load_demo(db.session, "s3cret-demo", "demo-key-123")
    db.session.flush()
    agent = db.session.scalars(select(User).where(User.role == "agent")).first()
    assert agent is not None and check_password_hash(agent.password_hash, "s3cret-demo")
    assert find_key(db.session, "demo-key-123") is not None
    assert find_key(db.session, "wrong") is None


def _load_command(app: Flask, examples: Path) -> str:
    configured = app.config["MATTER_EXAMPLES_PATH"]
    app.config.update(DEMO_PASSWORD="pw", MATTER_EXAMPLES_PATH=str(examples))
    try:
        result = app.test_cli_runner().invoke(args=["demo", "load"])
    finally:
        app.config.update(DEMO_PASSWORD=None, MATTER_EXAMPLES_PATH=configured)
        invalidate(app)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_demo_load_command_reports_what_it_loaded(app: Flask, tmp_path: Path) -> None:
    assert "demo city loaded" in _load_command(app, tmp_path / "examples.jsonl")


def test_the_demo_load_command_puts_the_demo_examples_where_the_classifier_reads_them(
    app: Flask, tmp_path: Path
) -> None:
    target = tmp_path / "instance" / "matter_examples.jsonl"
    output = _load_command(app, target)
    assert target.read_bytes() == (DATA / "matter_examples.jsonl").read_bytes()
    assert "left as it is" not in output
    assert "left as it is" not in _load_command(app, target)  # the same file: nothing to say


def test_the_demo_load_command_leaves_a_citys_own_examples_alone(
    app: Flask, tmp_path: Path
) -> None:
    target = tmp_path / "matter_examples.jsonl"
    target.write_text('{"text": "路灯不亮", "matter_code": "02.03.01"}\n', encoding="utf-8")
    output = _load_command(app, target)
    assert f"{target} holds other matter examples; left as it is" in output
    assert target.read_text(encoding="utf-8") == '{"text": "路灯不亮", "matter_code": "02.03.01"}\n'


def _hashes() -> dict[str, str]:
    return {
        name: digest
        for name, digest in db.session.execute(select(User.username, User.password_hash))
    }


def test_a_second_load_without_a_password_keeps_every_existing_password(app: Flask) -> None:
    before = _hashes()
    report = load_demo(db.session, None, None)
    db.session.flush()
    assert _hashes() == before  # the session fingerprint hashes it: nobody is signed out
    assert report.password is None and not report.generated_password


def test_a_second_load_with_the_same_password_keeps_the_hashes(app: Flask) -> None:
    before = _hashes()
    load_demo(db.session, "test-password", None)
    db.session.flush()
    assert _hashes() == before


def test_without_a_password_only_new_demo_users_get_the_generated_one(app: Flask) -> None:
    agent = db.session.scalars(select(User).where(User.username == "agent1")).one()
    db.session.delete(agent)
    db.session.flush()
    report = load_demo(db.session, None, None)
    db.session.flush()
    assert report.generated_password and report.password
    users = {user.username: user for user in db.session.scalars(select(User))}
    assert check_password_hash(users["agent1"].password_hash, report.password)
    assert check_password_hash(users["dispatcher1"].password_hash, "test-password")


def test_the_demo_load_command_says_existing_passwords_were_kept(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "keep their passwords" in result.output


def test_examples_that_cannot_be_written_are_a_clean_error_of_the_demo_load_command(
    app: Flask, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    target = tmp_path / "notes.txt" / "matter_examples.jsonl"
    configured = app.config["MATTER_EXAMPLES_PATH"]
    app.config.update(MATTER_EXAMPLES_PATH=str(target))
    try:
        result = app.test_cli_runner().invoke(args=["demo", "load"])
    finally:
        app.config.update(MATTER_EXAMPLES_PATH=configured)
        invalidate(app)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # click's error, not a traceback
    assert f"无法写入 {target}：路径中有一段不是目录" in result.output
    assert "HOTLINE_MATTER_EXAMPLES" in result.output


def test_a_matter_that_loading_changes_is_marked_changed_and_the_others_are_not(
    app: Flask,
) -> None:
    load_demo(db.session, "test-password", "test-api-key")
    db.session.flush()
    edited, untouched = db.session.get(Matter, "01.01.01"), db.session.get(Matter, "01.01.02")
    assert edited is not None and untouched is not None
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    edited.keywords, edited.changed_at, untouched.changed_at = "旧关键词", long_ago, long_ago
    db.session.flush()
    load_demo(db.session, "test-password", "test-api-key")
    db.session.flush()
    db.session.refresh(edited)
    db.session.refresh(untouched)
    assert edited.keywords != "旧关键词"
    assert edited.changed_at > long_ago
    assert untouched.changed_at == long_ago


def test_the_demo_load_command_refreshes_the_examples_an_earlier_release_wrote(
    app: Flask, tmp_path: Path
) -> None:
    source = (DATA / "matter_examples.jsonl").read_bytes()
    earlier = b"".join(source.splitlines(keepends=True)[:1193])  # what the last release shipped
    target = tmp_path / "matter_examples.jsonl"
    target.write_bytes(earlier)
    output = _load_command(app, target)
    assert "left as it is" not in output
    assert "reads them once restarted" in output
    assert target.read_bytes() == source
    assert "reads them once restarted" not in _load_command(app, target)  # nothing new


def test_the_demo_load_command_leaves_the_demo_examples_with_a_citys_lines_added_alone(
    app: Flask, tmp_path: Path
) -> None:
    own = (DATA / "matter_examples.jsonl").read_bytes()[:2000].rsplit(b"\n", 1)[0] + b"\n"
    own += '{"text": "我们街道的路灯不亮", "matter_code": "02.03.01"}\n'.encode()
    target = tmp_path / "matter_examples.jsonl"
    target.write_bytes(own)
    output = _load_command(app, target)
    assert f"{target} holds other matter examples; left as it is" in output
    assert target.read_bytes() == own


def test_the_demo_load_command_leaves_a_citys_trimmed_copy_of_the_demo_examples_alone(
    app: Flask, tmp_path: Path
) -> None:
    source = (DATA / "matter_examples.jsonl").read_bytes()
    trimmed = b"".join(source.splitlines(keepends=True)[:500])  # no release had 500 lines
    target = tmp_path / "matter_examples.jsonl"
    target.write_bytes(trimmed)
    output = _load_command(app, target)
    assert f"{target} holds other matter examples; left as it is" in output
    assert target.read_bytes() == trimmed
    assert [p.name for p in tmp_path.iterdir()] == ["matter_examples.jsonl"]  # no temp left
