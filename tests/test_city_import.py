"""`flask city import` brings in a city's own areas, matters, units and users, all or nothing;
`flask user ...` manages console accounts."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import select

from hotline.city_data import import_city
from hotline.extensions import db
from hotline.models import Area, Matter, Unit, User
from hotline.routing_context import routing_context
from tests.api.conftest import API_KEY
from tests.factories import dispatched

NEW_STREET = (
    "code,name,level,parent_code\n"
    "990102009,新港街道,street,990102\n"
    "990102009001,新港社区,community,990102009\n"
)
NEW_OFFICE = (
    "code,name,kind,parent_code,area_code,liaison_phone,head_phone\n"
    "S990102009,新港街道办事处,street_office,D990102,990102009,138 0000 0099,\n"
)
NEW_CLERK = "username,display_name,role,unit_code\nu-s990102009,周新港,unit,S990102009\n"


def sheet(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(app: Flask, *args: str, stdin: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def refused(app: Flask, tmp_path: Path, table: str, text: str) -> str:
    """The output of importing `text` as the `table` sheet (areas, matters, units, users), which
    must fail."""
    result = run(app, "city", "import", f"--{table}", str(sheet(tmp_path, f"{table}.csv", text)))
    assert result.exit_code == 1, result.output
    return result.output


def new_city_part(app: Flask, tmp_path: Path, *extra: str) -> Result:
    return run(
        app,
        "city",
        "import",
        "--areas",
        str(sheet(tmp_path, "areas.csv", NEW_STREET)),
        "--units",
        str(sheet(tmp_path, "units.csv", NEW_OFFICE)),
        "--users",
        str(sheet(tmp_path, "users.csv", NEW_CLERK)),
        *extra,
    )


def password_of(output: str, username: str) -> str:
    line = next(line for line in output.splitlines() if line.strip().startswith(username + "\t"))
    return line.split("\t")[1]


def test_a_new_street_its_office_and_its_clerk_are_imported_and_work_at_once(
    app: Flask, tmp_path: Path
) -> None:
    result = new_city_part(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert "areas: 2 added, 0 changed, 0 unchanged" in result.output
    assert "units: 1 added" in result.output
    assert "one-time passwords for new users: 1/1" in result.output
    office = db.session.get(Unit, "S990102009")
    assert office is not None and office.liaison_phone == "+8613800000099"
    client = app.test_client()
    response = client.post(
        "/api/v1/tickets",
        json={
            "channel": "web",
            "appeal_type": "complaint",
            "text": "新港社区物业不打扫卫生，楼道垃圾堆了一个星期",
            "area_code": "990102009001",
            "matter_code": "01.01.02",
            "requester": {"name": "王女士", "phone": "13700000001"},
        },
        headers=API_KEY,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["dispatch"]["lead_unit"] == "S990102009"
    login = client.post(
        "/api/v1/auth/login",
        json={"username": "u-s990102009", "password": password_of(result.output, "u-s990102009")},
    )
    assert login.status_code == 200
    assert login.get_json()["user"]["unit_code"] == "S990102009"


def test_importing_the_same_sheets_again_changes_nothing(app: Flask, tmp_path: Path) -> None:
    assert new_city_part(app, tmp_path).exit_code == 0
    again = new_city_part(app, tmp_path)
    assert again.exit_code == 0, again.output
    assert "areas: 0 added, 0 changed, 2 unchanged" in again.output
    assert "users: 0 added, 0 changed, 1 unchanged" in again.output
    assert "one-time passwords" not in again.output


def test_a_sheet_with_problems_lists_every_one_by_row_and_column_and_stores_nothing(
    app: Flask, tmp_path: Path
) -> None:
    areas = sheet(
        tmp_path,
        "areas.csv",
        "code,name,level,parent_code\n"
        "990102009,新港街道,street,990102\n"
        "990102009001,新港社区,hamlet,990102009\n"
        "990102009,又一个新港,street,990102\n"
        "990102010,孤岛街道,street,\n"
        "990102011,飞地社区,community,990199\n",
    )
    units = sheet(
        tmp_path,
        "units.csv",
        "code,name,kind,parent_code,area_code,liaison_phone,head_phone\n"
        "S990102009,新港街道办事处,office,D990102,990102009,12,\n"
        "S990102010,无区划办事处,street_office,,990177,,\n",
    )
    users = sheet(
        tmp_path,
        "users.csv",
        "username,display_name,role,unit_code\n"
        "clerk,书记员,clerk,\n"
        "u-nobody,某人,unit,\n"
        "u-ghost,某人,unit,S404\n",
    )
    result = run(
        app, "city", "import", "--areas", str(areas), "--units", str(units), "--users", str(users)
    )
    assert result.exit_code == 1
    problems = [
        line
        for line in result.output.splitlines()
        if line.startswith(("区划表", "单位表", "用户表"))
    ]
    assert problems == [
        "区划表 第 4 行 [code]：“990102009”与第 2 行重复",
        "区划表 第 6 行 [parent_code]：上级“990199”不存在",
        "区划表 第 3 行 [level]：“hamlet”不是区划级别（city、district、street、community、grid）",
        "区划表 第 5 行 [parent_code]：只有市级区划可以没有上级",
        "单位表 第 2 行 [kind]：“office”不是单位类型（centre、city_department、"
        "district_government、district_department、street_office、community、utility）",
        "单位表 第 2 行 [liaison_phone]：不是有效的中国大陆电话号码：12",
        "单位表 第 3 行 [area_code]：区划“990177”不存在",
        "用户表 第 2 行 [role]：“clerk”不是角色（agent、dispatcher、supervisor、admin、unit）",
        "用户表 第 3 行 [unit_code]：承办单位账号须填写所属单位",
        "用户表 第 4 行 [unit_code]：单位“S404”不存在",
    ]
    assert "共 10 处问题，未导入任何内容" in result.output
    assert db.session.get(Area, "990102009") is None
    assert db.session.get(Unit, "S990102009") is None


def test_a_parent_chain_that_loops_is_refused(app: Flask, tmp_path: Path) -> None:
    output = refused(
        app, tmp_path, "matters", "code,name,parent_code,keywords\n90,甲,91,\n91,乙,90,\n"
    )
    assert "事项表 第 2 行 [parent_code]：上级关系成环" in output
    assert db.session.get(Matter, "90") is None


def test_an_area_must_sit_below_its_parents_level(app: Flask, tmp_path: Path) -> None:
    output = refused(
        app, tmp_path, "areas", "code,name,level,parent_code\n990102099,错层区,district,990102001\n"
    )
    assert "上级“990102001”（street）须高于本区划的级别（district）" in output


def test_chinese_headers_in_an_xlsx_sheet_are_read_and_keywords_joined(
    app: Flask, tmp_path: Path
) -> None:
    workbook = Workbook()
    rows = [
        ("事项编码", "事项名称", "上级编码", "关键词"),
        ("01.01.90", "充电桩", "01.01", "充电桩, 充电车位；电车充电"),
    ]
    for row in rows:
        workbook.active.append(row)  # type: ignore[union-attr]
    path = tmp_path / "事项.xlsx"
    workbook.save(path)
    result = run(app, "city", "import", "--matters", str(path))
    assert result.exit_code == 0, result.output
    matter = db.session.get(Matter, "01.01.90")
    assert matter is not None and matter.parent_code == "01.01"
    assert matter.keywords == "充电桩、充电车位、电车充电"


def test_an_unknown_column_is_refused_rather_than_ignored(app: Flask, tmp_path: Path) -> None:
    output = refused(app, tmp_path, "units", "code,name,kind,phone\nX1,某单位,utility,123\n")
    assert "单位表 第 1 行 [phone]：未知的列" in output


def test_a_dry_run_reports_the_changes_and_stores_nothing(app: Flask, tmp_path: Path) -> None:
    result = new_city_part(app, tmp_path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was stored" in result.output
    assert "areas: 2 added, 0 changed, 0 unchanged" in result.output
    assert "one-time passwords" not in result.output
    assert db.session.get(Area, "990102009") is None
    assert db.session.scalars(select(User).where(User.username == "u-s990102009")).first() is None


def test_stored_rows_left_out_of_a_sheet_are_kept_unless_deactivation_is_asked(
    app: Flask, tmp_path: Path
) -> None:
    users = sheet(
        tmp_path, "users.csv", "username,display_name,role,unit_code\nadmin,林晓雯,admin,\n"
    )
    kept = run(app, "city", "import", "--users", str(users))
    assert kept.exit_code == 0, kept.output
    assert "99 stored but not in the sheet, kept" in kept.output
    agent = db.session.scalars(select(User).where(User.username == "agent1")).one()
    assert agent.active
    deactivated = run(app, "city", "import", "--users", str(users), "--deactivate-missing")
    assert deactivated.exit_code == 0, deactivated.output
    assert "99 deactivated" in deactivated.output
    db.session.refresh(agent)
    assert not agent.active


def test_a_unit_the_catalogue_names_or_with_open_tickets_is_not_deactivated(
    app: Flask, tmp_path: Path
) -> None:
    dispatched()  # an open ticket led by C-ZJJ
    units = sheet(
        tmp_path,
        "units.csv",
        "code,name,kind,parent_code,area_code,liaison_phone,head_phone,active\n"
        "C-ZJJ,市住房和城乡建设局,city_department,,,,,否\n"
        "C-SCJGJ,市市场监督管理局,city_department,,,,,否\n",
    )
    result = run(app, "city", "import", "--units", str(units))
    assert result.exit_code == 1
    assert "单位“C-ZJJ”不能停用：派单目录条目" in result.output
    assert "单位“C-SCJGJ”不能停用：派单目录条目 E0001 仍指定该单位" in result.output
    unit = db.session.get(Unit, "C-ZJJ")
    assert unit is not None and unit.active


def test_a_unit_with_open_tickets_and_no_catalogue_entry_says_so(
    app: Flask, tmp_path: Path
) -> None:
    ticket = dispatched()
    ticket.lead_unit_code = "D990102"  # a district government the catalogue does not name
    db.session.flush()
    output = refused(
        app,
        tmp_path,
        "units",
        "code,name,kind,parent_code,area_code,active\nD990102,江城区人民政府,district_government,,990102,否\n",
    )
    assert f"单位“D990102”不能停用：仍有未办结工单（如 {ticket.number}）" in output


def test_running_processes_see_an_import_made_elsewhere_without_a_restart(
    app: Flask, tmp_path: Path
) -> None:
    before = routing_context()
    assert "S990102009" not in before.units
    report, problems = import_city(
        db.session,
        {
            "areas": sheet(tmp_path, "areas.csv", NEW_STREET),
            "units": sheet(tmp_path, "units.csv", NEW_OFFICE),
        },
    )
    assert report is not None and not problems
    db.session.flush()  # no invalidate(): as another process's import would be
    after = routing_context()
    assert after is not before
    assert "S990102009" in after.units
    assert after.areas.parent("990102009001") == "990102009"


def create_user(app: Flask, username: str, *options: str, stdin: str | None = None) -> Result:
    return run(app, "user", "create", username, "--name", "吴九", *options, stdin=stdin)


def test_a_user_is_created_with_a_password_read_from_stdin_and_can_sign_in(app: Flask) -> None:
    result = create_user(
        app,
        "agent9",
        "--role",
        "agent",
        "--unit",
        "CENTRE",
        "--password-stdin",
        stdin="long-enough-9\n",
    )
    assert result.exit_code == 0, result.output
    login = app.test_client().post(
        "/api/v1/auth/login", json={"username": "agent9", "password": "long-enough-9"}
    )
    assert login.status_code == 200
    assert login.get_json()["user"]["role"] == "agent"


def test_creating_a_user_refuses_a_short_password_an_unknown_unit_or_a_taken_name(
    app: Flask,
) -> None:
    short = create_user(app, "agent9", "--role", "agent", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "密码至少 8 个字符" in short.output
    unknown = create_user(app, "u-x", "--role", "unit", "--unit", "S404", "--generate-password")
    assert unknown.exit_code == 1 and "单位“S404”不存在" in unknown.output
    taken = create_user(app, "agent1", "--role", "agent", "--generate-password")
    assert taken.exit_code == 1 and "已存在" in taken.output
    assert db.session.scalars(select(User).where(User.username == "agent9")).first() is None


def test_a_generated_password_is_shown_once_and_signs_in(app: Flask) -> None:
    result = create_user(app, "dispatcher9", "--role", "dispatcher", "--generate-password")
    assert result.exit_code == 0, result.output
    password = result.output.rsplit(": ", 1)[1].strip()
    login = app.test_client().post(
        "/api/v1/auth/login", json={"username": "dispatcher9", "password": password}
    )
    assert login.status_code == 200


def test_a_new_password_ends_the_users_sessions_and_a_deactivated_user_cannot_sign_in(
    app: Flask,
) -> None:
    client = app.test_client()
    from tests.api.conftest import PASSWORD

    assert (
        client.post(
            "/api/v1/auth/login", json={"username": "agent2", "password": PASSWORD}
        ).status_code
        == 200
    )
    changed = run(app, "user", "password", "agent2", "--password-stdin", stdin="new-password-2\n")
    assert changed.exit_code == 0, changed.output
    assert client.get("/api/v1/auth/me").status_code == 401
    assert run(app, "user", "deactivate", "agent2").exit_code == 0
    refused = app.test_client().post(
        "/api/v1/auth/login", json={"username": "agent2", "password": "new-password-2"}
    )
    assert refused.status_code == 401
    assert run(app, "user", "activate", "agent2").exit_code == 0
    listed = run(app, "user", "list", "--role", "agent").output.splitlines()
    assert "agent2\tagent\tCENTRE\tactive\t" in "\n".join(listed)
    assert all("\tagent\t" in line for line in listed)


def test_a_column_left_out_of_a_sheet_leaves_that_field_as_stored(
    app: Flask, tmp_path: Path
) -> None:
    units = sheet(
        tmp_path, "units.csv", "code,name,kind\nC-ZJJ,市住房和城乡建设局（更名）,city_department\n"
    )
    matters = sheet(
        tmp_path, "matters.csv", "code,name,parent_code\n01.01.01,电梯故障与困人,01.01\n"
    )
    result = run(app, "city", "import", "--units", str(units), "--matters", str(matters))
    assert result.exit_code == 0, result.output
    assert "units: 0 added, 1 changed, 0 unchanged" in result.output
    unit = db.session.get(Unit, "C-ZJJ")
    assert unit is not None and unit.name == "市住房和城乡建设局（更名）"
    assert unit.liaison_phone == "+8613800000002" and unit.active
    matter = db.session.get(Matter, "01.01.01")
    assert matter is not None and matter.name == "电梯故障与困人"
    assert "困人" in matter.keywords


def test_a_title_row_above_the_header_is_skipped_and_rows_keep_their_numbers(
    app: Flask, tmp_path: Path
) -> None:
    areas = sheet(
        tmp_path,
        "areas.csv",
        "云江市行政区划表（2026年11月）,,,\n"
        "编码,名称,级别,上级编码\n"
        "990102009,新港街道,street,990102\n"
        "990102009001,新港社区,hamlet,990102009\n",
    )
    result = run(app, "city", "import", "--areas", str(areas))
    assert "区划表 第 4 行 [level]：“hamlet”不是区划级别" in result.output


def test_one_workbook_holds_each_table_in_its_own_named_sheet(app: Flask, tmp_path: Path) -> None:
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "说明"
    notes.append(("本工作簿含区划表与单位表",))
    areas = workbook.create_sheet("区划表")
    for row in NEW_STREET.splitlines():
        areas.append(row.split(","))
    units = workbook.create_sheet("单位表")
    for row in NEW_OFFICE.splitlines():
        units.append(row.split(","))
    path = tmp_path / "云江市.xlsx"
    workbook.save(path)
    result = run(app, "city", "import", "--areas", str(path), "--units", str(path))
    assert result.exit_code == 0, result.output
    assert db.session.get(Unit, "S990102009") is not None


def test_an_area_cannot_drop_to_the_level_of_the_areas_stored_below_it(
    app: Flask, tmp_path: Path
) -> None:
    output = refused(
        app, tmp_path, "areas", "code,name,level,parent_code\n990102,江城区,community,990100\n"
    )
    assert "下级区划“990102001”（street）须低于本区划的级别（community）" in output


def test_the_only_street_office_of_a_street_that_shudi_entries_reach_is_not_deactivated(
    app: Flask, tmp_path: Path
) -> None:
    output = refused(
        app,
        tmp_path,
        "units",
        "code,name,kind,area_code,active\nS990102002,江滨街道办事处,street_office,990102002,否\n",
    )
    assert "它是区划 990102002 唯一的街道办事处，派单目录的“属地街道”条目派到这里" in output


def test_a_deactivated_units_accounts_go_with_it_and_no_new_one_is_made_for_it(
    app: Flask, tmp_path: Path
) -> None:
    units = sheet(
        tmp_path, "units.csv", "code,name,kind,active\nC-SWUJ,市商务局,city_department,否\n"
    )
    users = sheet(
        tmp_path,
        "users.csv",
        "username,display_name,role,unit_code\nu-c-swuj-2,新同事,unit,C-SWUJ\n",
    )
    refused = run(app, "city", "import", "--units", str(units), "--users", str(users))
    assert refused.exit_code == 1
    assert "单位“C-SWUJ”已停用（或本次导入停用），不能有启用的账号" in refused.output
    done = run(app, "city", "import", "--units", str(units))
    assert done.exit_code == 0, done.output
    assert "users of deactivated units, deactivated with them: u-c-swuj" in done.output
    clerk = db.session.scalars(select(User).where(User.username == "u-c-swuj")).one()
    assert not clerk.active
    again = create_user(
        app, "u-c-swuj-3", "--role", "unit", "--unit", "C-SWUJ", "--generate-password"
    )
    assert again.exit_code == 1 and "已停用" in again.output


def test_a_dry_run_makes_no_passwords_for_new_users(app: Flask, tmp_path: Path) -> None:
    result = new_city_part(app, tmp_path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "users: 1 added" in result.output
    assert "one-time passwords" not in result.output


def test_an_import_holds_a_lock_that_a_second_import_waits_for(
    pg_app: Flask, tmp_path: Path
) -> None:
    from sqlalchemy import text

    report, problems = import_city(db.session, {"areas": sheet(tmp_path, "areas.csv", NEW_STREET)})
    assert report is not None and not problems
    with db.engine.connect() as other:
        taken = other.execute(
            text("SELECT pg_try_advisory_xact_lock(hashtext('hotline.city_import'))")
        ).scalar_one()
    assert taken is False


def test_the_only_street_office_of_a_street_cannot_be_moved_out_of_it_or_made_another_kind(
    app: Flask, tmp_path: Path
) -> None:
    for row in (
        "S990102001,南湖街道办事处,street_office,\n",
        "S990102001,南湖街道办事处,community,990102001\n",
    ):
        output = refused(app, tmp_path, "units", "code,name,kind,area_code\n" + row)
        assert "单位“S990102001”不能改区划或类型：它是区划 990102001 唯一的街道办事处" in output
    unit = db.session.get(Unit, "S990102001")
    assert unit is not None and unit.area_code == "990102001" and unit.kind == "street_office"
