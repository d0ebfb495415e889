"""The routing rules as loaded from the database: trees, units, the active catalogue,
the classifier and the triage rules; cached per process and reloaded when the catalogue changes."""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, or_, select, text

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import Area, CatalogueEntryRecord, CatalogueVersion, Matter, Unit
from routing.catalogue import Catalogue, CatalogueEntry, UnitDirectory, UnitRef
from routing.classify import Classifier, KeywordRules, NaiveBayesModel, catalogue_documents
from routing.glossary import AppealType, AreaLevel, UnitKind
from routing.tree import AreaNode, AreaTree, CodeTree, TreeNode
from routing.triage import TriageRules

log = logging.getLogger(__name__)
_lock = threading.Lock()
# How long a process trusts its cached catalogue version before checking the database again:
# an activation elsewhere, or a scheduled one reaching its time, takes effect within this delay;
# an activation in this process, at once (invalidate).
VERSION_CHECK_SECONDS = 5.0
# How long each query of a warm-up may take on PostgreSQL (connecting is bounded by the
# engine's connect_timeout).
WARM_UP_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class RoutingContext:
    matters: CodeTree
    areas: AreaTree
    units: UnitDirectory
    catalogue: Catalogue
    classifier: Classifier
    triage_rules: TriageRules
    legal_route_matters: Mapping[str, str | None]
    # Matters a person raises for themselves (PERSONAL_MATTER_ROOTS): never merged by place.
    personal_matters: frozenset[str] = frozenset()


def active_version_key(at: datetime | None = None) -> tuple[int, str] | None:
    """(id, effective time) of the version in force at `at` (default: now): of the active and
    scheduled versions, the one with the latest effective time not after it. A scheduled version
    thus takes over at its time with no job to run; a re-activation changes the key too."""
    effective_at = CatalogueVersion.effective_at
    row = db.session.execute(
        select(CatalogueVersion.id, effective_at)
        .where(CatalogueVersion.state.in_(("active", "scheduled")))
        .where(or_(effective_at.is_(None), effective_at <= (at or utcnow())))
        .order_by(effective_at.desc().nulls_last(), CatalogueVersion.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], str(row[1]))


def reference_stamp() -> tuple[str, ...]:
    """When the matters, areas and units last changed: a `city import` in another process
    changes it, and each process reloads its rules at its next check."""
    latest = [
        select(func.max(model.changed_at)).scalar_subquery() for model in (Matter, Area, Unit)
    ]
    row = db.session.execute(select(*latest)).one()
    return tuple(str(value) for value in row)


def entry_from_record(record: CatalogueEntryRecord) -> CatalogueEntry:
    return CatalogueEntry(
        entry_id=record.entry_id,
        matter_code=record.matter_code,
        area_code=record.area_code,
        appeal_types=frozenset(AppealType(t) for t in record.appeal_types),
        lead=record.lead,
        assists=tuple(record.assists),
        dispatch_level=record.dispatch_level,
        legal_basis=record.legal_basis,
        tier=record.tier,
        keywords=tuple(record.keywords),
        no_push_down=record.no_push_down,
    )


def load_catalogue(version_id: int | None) -> Catalogue:
    if version_id is None:
        return Catalogue(0, ())
    records = db.session.scalars(
        select(CatalogueEntryRecord).where(CatalogueEntryRecord.version_id == version_id)
    )
    return Catalogue(version_id, (entry_from_record(r) for r in records))


def load_trees() -> tuple[CodeTree, AreaTree, UnitDirectory]:
    matters = CodeTree(
        TreeNode(m.code, m.name, m.parent_code) for m in db.session.scalars(select(Matter))
    )
    areas = AreaTree(
        AreaNode(a.code, a.name, a.parent_code, AreaLevel(a.level))
        for a in db.session.scalars(select(Area))
    )
    units = UnitDirectory(
        (
            UnitRef(u.code, u.name, UnitKind(u.kind), u.area_code, u.parent_code)
            for u in db.session.scalars(select(Unit).where(Unit.active.is_(True)))
        ),
        areas,
    )
    return matters, areas, units


def build_classifier(
    app: Flask, matters: CodeTree, catalogue: Catalogue, keywords: dict[str, str]
) -> Classifier:
    extra: dict[str, tuple[str, ...]] = {}
    for entry in catalogue.entries:
        if entry.keywords:
            extra[entry.matter_code] = (*extra.get(entry.matter_code, ()), *entry.keywords)
    leaves = tuple((code, matters.name(code), keywords.get(code, "")) for code in matters.leaves())
    rules = KeywordRules.from_matters(leaves, extra)
    assist = catalogue_model(leaves, extra, matter_examples(app, matters))
    model = None
    path = Path(app.config["CLASSIFIER_MODEL_PATH"])
    if path.exists():
        try:
            model = NaiveBayesModel.from_json(path.read_text(encoding="utf-8"))
        except ValueError:
            log.exception("classifier model %s is unreadable; using keyword rules only", path)
    return Classifier(
        model=model,
        rules=rules,
        threshold=float(app.config["CLASSIFIER_THRESHOLD"]),
        assist=assist,
    )


def matter_examples(app: Flask, matters: CodeTree) -> tuple[tuple[str, str], ...]:
    """Labelled example appeals (HOTLINE_MATTER_EXAMPLES, JSON lines of text and matter_code)
    for the leaves of `matters`; rows of other codes are skipped, an unreadable file is logged
    and read as none: the keyword rules still classify without it."""
    path = Path(app.config["MATTER_EXAMPLES_PATH"])
    if not path.exists():
        return ()
    leaves = set(matters.leaves())
    rows: list[tuple[str, str]] = []
    skipped = 0
    try:
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError(f"line {number} is not an object")
                text, code = row.get("text"), row.get("matter_code")
                if isinstance(text, str) and text.strip() and code in leaves:
                    rows.append((text, str(code)))
                else:
                    skipped += 1
    except (OSError, UnicodeDecodeError, ValueError):
        log.exception("matter examples %s are unreadable; classifying without them", path)
        return ()
    if skipped:
        log.warning("matter examples %s: %d rows skipped (no text or no such leaf)", path, skipped)
    return tuple(rows)


_AssistKey = tuple[object, ...]
_ASSIST_CACHE: dict[_AssistKey, NaiveBayesModel] = {}
_ASSIST_CACHE_SIZE = 4


def catalogue_model(
    leaves: tuple[tuple[str, str, str], ...],
    extra: Mapping[str, tuple[str, ...]],
    examples: tuple[tuple[str, str], ...],
) -> NaiveBayesModel | None:
    """The model of the catalogue's own words and the examples, trained once per content (about
    1.5 s of CPU for the demo city's 248 leaves and 4,177 examples, almost all of it segmenting
    them); the last few are kept."""
    key: _AssistKey = (leaves, tuple(sorted(extra.items())), examples)
    model = _ASSIST_CACHE.pop(key, None)
    if model is not None:
        _ASSIST_CACHE[key] = model  # the most recently used last
    else:
        rows = catalogue_documents(leaves, extra) + list(examples)
        if not rows:
            return None
        model = NaiveBayesModel.train(rows)
        _ASSIST_CACHE[key] = model
        while len(_ASSIST_CACHE) > _ASSIST_CACHE_SIZE:  # an edited catalogue's old models go
            del _ASSIST_CACHE[next(iter(_ASSIST_CACHE))]
    return model


def personal_matters(app: Flask, matters: CodeTree) -> frozenset[str]:
    """The matters under PERSONAL_MATTER_ROOTS; a root the matter tree does not hold (another
    city's tree, a typo) is logged and ignored."""
    roots = app.config["PERSONAL_MATTER_ROOTS"]
    if unknown := [code for code in roots if code not in matters]:
        app.logger.warning(
            "HOTLINE_PERSONAL_MATTER_ROOTS names matters the catalogue does not hold, ignored: %s",
            ", ".join(unknown),
        )
    return matters.under(roots)


def legal_route_matters(app: Flask, matters: CodeTree, rules: TriageRules) -> dict[str, str | None]:
    """Leaf matters under the legal-route roots, each with the route whose guidance applies
    (matched by name: 诉讼 ~ 司法诉讼, 信访事项 ~ 信访), or None when no route's name fits."""
    roots = [code for code in app.config["LEGAL_ROUTE_MATTER_ROOTS"] if code in matters]
    routed: dict[str, str | None] = {}
    for code in matters.leaves():
        if not any(matters.descends_from(code, root) for root in roots):
            continue
        name = matters.name(code)
        routed[code] = next(
            (r.route for r in rules.legal_routes if name in r.label_zh or r.label_zh in name),
            None,
        )
    return routed


def build_context(app: Flask, version_id: int | None) -> RoutingContext:
    matters, areas, units = load_trees()
    keywords: dict[str, str] = {
        code: words for code, words in db.session.execute(select(Matter.code, Matter.keywords))
    }
    catalogue = load_catalogue(version_id)
    rules = TriageRules.load_default()
    return RoutingContext(
        matters=matters,
        areas=areas,
        units=units,
        catalogue=catalogue,
        classifier=build_classifier(app, matters, catalogue, keywords),
        triage_rules=rules,
        legal_route_matters=legal_route_matters(app, matters, rules),
        personal_matters=personal_matters(app, matters),
    )


def routing_context() -> RoutingContext:
    """The current rules; two cheap queries, at most every few seconds, check the active
    catalogue version and when the reference data last changed."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    cached: tuple[object, RoutingContext, float] | None = app.extensions.get("hotline.routing")
    now = time.monotonic()
    # Tests roll catalogue changes back behind the cache's back: they check every time.
    ttl = float(
        app.config.get("ROUTING_CHECK_SECONDS", 0 if app.testing else VERSION_CHECK_SECONDS)
    )
    if cached is not None and now < cached[2]:
        return cached[1]
    version = active_version_key()
    key = (version, reference_stamp())
    if cached is not None and cached[0] == key:
        app.extensions["hotline.routing"] = (key, cached[1], now + ttl)
        return cached[1]
    with _lock:
        # Another thread (a warm-up, a concurrent request) may have built them meanwhile.
        built: tuple[object, RoutingContext, float] | None = app.extensions.get("hotline.routing")
        if built is not None and built[0] == key:
            return built[1]
        context = build_context(app, version[0] if version else None)
        app.extensions["hotline.routing"] = (key, context, now + ttl)
        # The trees and the model are long-lived: keep full collections from walking them.
        gc.freeze()
    return context


def invalidate(app: Flask) -> None:
    """Forget the cached rules (after a demo load, a model training, a unit change)."""
    app.extensions.pop("hotline.routing", None)


def warm_up(app: Flask) -> bool:
    """Build the routing rules now, so that the first appeal a process takes does not wait for
    them (training the catalogue model on the demo's examples takes about 1.5 s of CPU, loading
    the segmenter's dictionary about 0.5 s). A gunicorn worker calls it before it takes requests
    (gunicorn.conf.py), the embedded server's job thread when it starts. A database that cannot
    be read is logged and left for the first request, which reports it as it would anyway."""
    if "sqlalchemy" not in getattr(app, "extensions", {}):  # not the hotline's app
        return False
    with app.app_context():
        try:
            if db.engine.dialect.name == "postgresql":
                # A database that answers slowly or not at all delays the start by at most
                # this, not for ever (gunicorn's timeout does not run before the first request).
                db.session.execute(text(f"SET LOCAL statement_timeout = {WARM_UP_TIMEOUT_MS}"))
            routing_context()
            return True
        except Exception:
            log.warning("the routing rules could not be built ahead of requests", exc_info=True)
            return False
        finally:
            db.session.remove()
