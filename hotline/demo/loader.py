"""Loading the demo city (areas, matters, units, users, API key) idempotently from data files."""

from __future__ import annotations

import csv
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from hotline.apikeys import create_key
from hotline.city_data import import_city
from hotline.extensions import DbSession
from hotline.models import User

DATA = Path(__file__).resolve().parent / "data"


@dataclass
class LoadReport:
    counts: dict[str, int] = field(default_factory=dict)
    password: str | None = None
    generated_password: bool = False
    api_key: str | None = None


def read_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def load_reference(session: DbSession) -> dict[str, int]:
    """The demo city's areas, matters and units, through the same checks as `city import`."""
    sheets = ("areas", "matters", "units")
    report, problems = import_city(session, {sheet: DATA / f"{sheet}.csv" for sheet in sheets})
    if report is None:
        raise RuntimeError("the demo data has problems: " + "; ".join(map(str, problems)))
    return {
        sheet: len(report.added[sheet]) + len(report.changed[sheet]) + report.unchanged[sheet]
        for sheet in sheets
    }


def load_users(session: DbSession, password: str | None, fallback: str) -> tuple[int, int]:
    """Create or refresh the demo users; (users loaded, users whose password was set).

    With `password` (HOTLINE_DEMO_PASSWORD) every user gets it. Without, a new user gets
    `fallback` and an existing one keeps its own: a second `demo load` must not reset what
    people use. A user whose password already matches keeps its hash, since the session
    fingerprint (auth.py) covers the hash and a new salt would sign everyone out.
    """
    from sqlalchemy import select

    count = changed = 0
    new_hashes: dict[str, str] = {}  # one hash per password: hashing is slow on purpose
    checked: dict[tuple[str, str], bool] = {}  # demo users share a hash: check it once
    for row in read_rows("users.csv"):
        user = session.scalars(select(User).where(User.username == row["username"])).first()
        if user is None:
            user = User(username=row["username"])
            session.add(user)
        user.display_name = row["display_name"]
        user.role = row["role"]
        user.unit_code = row["unit_code"] or None
        user.active = True
        stored = user.password_hash
        wanted = password if password is not None else (fallback if stored is None else None)
        if wanted is not None and not (stored and _matches(stored, wanted, checked)):
            if wanted not in new_hashes:
                new_hashes[wanted] = generate_password_hash(wanted)
            user.password_hash = new_hashes[wanted]
            changed += 1
        count += 1
    session.flush()
    return count, changed


def _matches(stored: str, password: str, checked: dict[tuple[str, str], bool]) -> bool:
    if (stored, password) not in checked:
        checked[stored, password] = check_password_hash(stored, password)
    return checked[stored, password]


def load_demo(session: DbSession, password: str | None, api_key: str | None) -> LoadReport:
    """Load or refresh the demo city; running it twice changes nothing the second time."""
    report = LoadReport()
    report.counts = load_reference(session)
    generated = secrets.token_urlsafe(9)
    report.counts["users"], changed = load_users(session, password, generated)
    if changed:
        report.password = password if password is not None else generated
        report.generated_password = password is None
    if api_key:
        create_key(session, "demo integration", api_key)
        report.api_key = api_key
    report.counts["catalogue_entries"] = load_catalogue(session)
    return report


def load_catalogue(session: DbSession) -> int:
    """Activate the demo catalogue unless the active version already has the same entries."""
    from flask import current_app

    from hotline.catalogue_store import ensure_active
    from hotline.routing_context import invalidate

    version = ensure_active(session, DATA / "catalogue.xlsx", "demo")
    # Units, matters and areas may have changed even when the catalogue did not.
    invalidate(current_app._get_current_object())  # type: ignore[attr-defined]
    return version.entry_count


# How many lines the demo's matter_examples.jsonl had in each earlier release.
EARLIER_RELEASE_LINES = (803, 883, 960, 1037, 1113, 1193)


def write_matter_examples(target: Path) -> bool:
    """Put the demo city's labelled example appeals where the classifier reads them, unless a
    file of other examples is there already; True when the file now holds the demo's.

    The examples an earlier release wrote are refreshed: each release only added lines, so its
    file is today's first EARLIER_RELEASE_LINES lines exactly. A city's own file, or the demo's
    with lines of its own added, changed or removed, is not."""
    source = (DATA / "matter_examples.jsonl").read_bytes()
    if target.exists():
        present = target.read_bytes()
        if present == source:
            return True
        lines = source.splitlines(keepends=True)
        earlier = {b"".join(lines[:count]) for count in EARLIER_RELEASE_LINES}
        if present not in earlier:
            return False
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=target.name + ".", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(source)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return True
