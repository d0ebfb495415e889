"""`flask city import` (a city's own areas, matters, units and users) and `flask user ...`."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hotline.city_data import SHEETS, USERNAME, ImportReport, Sheets, check, import_city
from hotline.extensions import db
from hotline.models import User
from hotline.routing_context import invalidate
from hotline.transaction import commit

PASSWORD_MIN = 8
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def city() -> None:
    """A city's own reference data: areas, matters, units and users."""


@city.command("import")
@click.option("--areas", type=_FILE, help="区划表 (code, name, level, parent_code)")
@click.option("--matters", type=_FILE, help="事项表 (code, name, parent_code, keywords)")
@click.option(
    "--units",
    type=_FILE,
    help="单位表 (code, name, kind, parent_code, area_code, liaison_phone, head_phone, active)",
)
@click.option(
    "--users", type=_FILE, help="用户表 (username, display_name, role, unit_code, active)"
)
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="停用数据库中有、表中没有的单位和用户（须同时给出该表）",
)
@click.option("--dry-run", is_flag=True, help="只检查并报告将发生的变化，不写入")
def import_command(
    areas: Path | None,
    matters: Path | None,
    units: Path | None,
    users: Path | None,
    deactivate_missing: bool,
    dry_run: bool,
) -> None:
    """Import CSV/XLSX sheets; nothing is stored if any row of any sheet is wrong."""
    given = {"areas": areas, "matters": matters, "units": units, "users": users}
    paths = {sheet: path for sheet, path in given.items() if path is not None}
    if not paths:
        raise click.UsageError("give at least one of --areas, --matters, --units, --users")

    def progress(done: int, total: int) -> None:
        click.echo(f"one-time passwords for new users: {done}/{total}", err=True)

    report, problems = import_city(db.session, paths, deactivate_missing, dry_run, progress)
    if report is None:
        db.session.rollback()
        for problem in problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"共 {len(problems)} 处问题，未导入任何内容")
    if dry_run:
        db.session.rollback()
    else:
        commit()
        invalidate(current_app._get_current_object())  # type: ignore[attr-defined]
    _print_report(report, paths, deactivate_missing, dry_run)


def _print_report(
    report: ImportReport, paths: dict[str, Path], deactivate_missing: bool, dry_run: bool
) -> None:
    if dry_run:
        click.echo("dry run: nothing was stored; the import would make these changes")
    for sheet in SHEETS:
        if sheet not in paths:
            continue
        added, changed = report.added[sheet], report.changed[sheet]
        line = (
            f"{sheet}: {len(added)} added, {len(changed)} changed, "
            f"{report.unchanged[sheet]} unchanged"
        )
        deactivated = report.deactivated.get(sheet, [])
        if deactivated:
            line += f", {len(deactivated)} deactivated ({_some(deactivated)})"
        missing = [code for code in report.missing[sheet] if code not in deactivated]
        if missing:
            kept = "kept" if sheet in ("areas", "matters") or not deactivate_missing else "inactive"
            line += f"; {len(missing)} stored but not in the sheet, {kept} ({_some(missing)})"
        click.echo(line)
        if changed:
            click.echo(f"  changed: {_some(changed, 20)}")
    if report.users_with_their_unit:
        click.echo(
            f"users of deactivated units, deactivated with them: "
            f"{_some(report.users_with_their_unit)}"
        )
    if not dry_run and report.passwords:
        click.echo("one-time passwords of the new users (shown once; change with `user password`):")
        for username, password in report.passwords.items():
            click.echo(f"  {username}\t{password}")


def _some(codes: list[str], limit: int = 10) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f", ... ({len(codes) - limit} more)" if len(codes) > limit else "")


@click.group()
def user() -> None:
    """Console accounts: create, set a password, deactivate, list."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    if len(password) < PASSWORD_MIN:
        raise click.ClickException(f"密码至少 {PASSWORD_MIN} 个字符")
    return password


def _user(username: str) -> User:
    found = db.session.scalars(select(User).where(User.username == username)).first()
    if found is None:
        raise click.ClickException(f"用户“{username}”不存在")
    return found


@user.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="姓名")
@click.option("--role", required=True, help="agent、dispatcher、supervisor、admin 或 unit")
@click.option("--unit", "unit_code", default="", help="所属单位编码（unit 角色必填）")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行）")
@click.option("--generate-password", is_flag=True, help="生成一次性密码并显示一次")
def create_user(
    username: str,
    display_name: str,
    role: str,
    unit_code: str,
    password_stdin: bool,
    generate_password: bool,
) -> None:
    """Create a console account."""
    if db.session.scalars(select(User.id).where(User.username == username)).first():
        raise click.ClickException(f"用户“{username}”已存在；改密码用 `user password`")
    sheets = Sheets(
        rows={
            "users": {
                username: {
                    "username": username,
                    "display_name": display_name.strip(),
                    "role": role,
                    "unit_code": unit_code.strip(),
                }
            }
        },
        line={("users", username): 0},
    )
    problems = (
        [] if USERNAME.fullmatch(username) else ["用户名只能由字母、数字、点、横线和下划线组成"]
    )
    problems += [str(problem) for problem in check(db.session, sheets, False)]
    if not display_name.strip():
        problems.append("姓名不能为空")
    if problems:
        raise click.ClickException("；".join(problems))
    password = secrets.token_urlsafe(9) if generate_password else _read_password(password_stdin)
    db.session.add(
        User(
            username=username,
            display_name=display_name.strip(),
            role=role,
            unit_code=unit_code.strip() or None,
            password_hash=generate_password_hash(password),
        )
    )
    commit()
    click.echo(f"user {username} created ({role})")
    if generate_password:
        click.echo(f"one-time password (shown once): {password}")


@user.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行）")
def set_password(username: str, password_stdin: bool) -> None:
    """Set a user's password; the user's console sessions end."""
    account = _user(username)
    account.password_hash = generate_password_hash(_read_password(password_stdin))
    commit()
    click.echo(f"password of {username} set; the user's console sessions have ended")


def _set_active(username: str, active: bool) -> None:
    account = _user(username)
    account.active = active
    commit()
    click.echo(f"user {username} {'active' if active else 'deactivated'}")


@user.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Stop a user from signing in; their sessions end at their next request."""
    _set_active(username, False)


@user.command("activate")
@click.argument("username")
def activate(username: str) -> None:
    """Let a deactivated user sign in again."""
    _set_active(username, True)


@user.command("list")
@click.option("--role", default=None, help="只列出该角色")
@click.option("--unit", "unit_code", default=None, help="只列出该单位的账号")
def list_users(role: str | None, unit_code: str | None) -> None:
    """username, role, unit, active, name: one user a line."""
    query = select(User).order_by(User.username)
    if role:
        query = query.where(User.role == role)
    if unit_code:
        query = query.where(User.unit_code == unit_code)
    for account in db.session.scalars(query):
        state = "active" if account.active else "inactive"
        click.echo(
            f"{account.username}\t{account.role}\t{account.unit_code or '-'}\t{state}\t"
            f"{account.display_name}"
        )
