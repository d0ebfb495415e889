"""The intake service: every channel's appeal goes through the same triage, duplicate check,
classification and routing, and ends in the one ticket queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import Executable, and_, bindparam, or_, select

from hotline import lifecycle
from hotline.clock import utcnow
from hotline.extensions import DbSession
from hotline.lifecycle import SYSTEM, Actor, DomainError, Intake
from hotline.models import Requester, Ticket
from hotline.phones import normalise, phone_key
from hotline.routing_context import RoutingContext, routing_context
from routing.classify import Classification
from routing.glossary import AppealType, Channel, TriageOutcome, Urgency
from routing.router import Decision, resolve
from routing.triage import DuplicateCandidate, DuplicateMatch, TriageResult, find_duplicate, triage
from routing.workflow import OPEN_STATES
from workers import relay as _relay  # noqa: F401 - registers the outbox hooks before any commit

CANDIDATE_LIMIT = 50


@dataclass
class Submission:
    """One appeal as a channel hands it over, before triage."""

    channel: str
    text: str
    appeal_type: str = AppealType.OTHER
    urgency: str = Urgency.NORMAL
    title: str = ""
    source_line: str | None = None
    external_id: str | None = None
    matter_code: str | None = None
    area_code: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    requester_name: str | None = None
    requester_phone: str | None = None
    requester_email: str | None = None
    requester_id_number: str | None = None
    anonymous: bool = False
    confidential: bool = False
    answer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class IntakeResult:
    ticket: Ticket
    triage: TriageResult
    classification: Classification | None
    decision: Decision | None
    duplicate: DuplicateMatch | None
    # Held so that the session's (weak) identity map keeps them for the response: no re-reads.
    accept_payload: dict[str, Any] = field(default_factory=dict)
    requester: Requester | None = None
    parent: Ticket | None = None


def check_codes(context: RoutingContext, submission: Submission) -> None:
    problems = {}
    if submission.matter_code and submission.matter_code not in context.matters:
        problems["matter_code"] = f"未知的事项编码 {submission.matter_code}"
    if submission.area_code and submission.area_code not in context.areas:
        problems["area_code"] = f"未知的区域编码 {submission.area_code}"
    if problems:
        raise DomainError("unknown_code", "编码不存在", problems)
    Channel(submission.channel)
    AppealType(submission.appeal_type)
    Urgency(submission.urgency)


def _requester(session: DbSession, submission: Submission, phone: str | None) -> Requester | None:
    if not any(
        (
            phone,
            submission.requester_name,
            submission.requester_email,
            submission.requester_id_number,
        )
    ):
        return None
    requester = Requester(
        name=None if submission.anonymous else submission.requester_name,
        phone=phone,
        email=submission.requester_email,
        id_number=submission.requester_id_number,
        address=submission.address,
    )
    session.add(requester)
    session.flush()
    return requester


def duplicate_candidates(
    session: DbSession,
    key: str | None,
    phone: str | None,
    area_code: str | None,
    matter_code: str | None,
    since: datetime,
) -> list[DuplicateCandidate]:
    rows = _candidate_rows(session, key, area_code, matter_code, since)
    return [_candidate(t, key, phone) for t in rows]


@cache
def _candidate_query(by_caller: bool, by_place: bool) -> Executable:
    """The candidates' query for one shape of conditions, built once per process: building
    and hashing the statement anew on every intake costs more than running it."""
    conditions: list[Any] = []
    if by_caller:
        conditions.append(Ticket.requester_phone_key == bindparam("key"))
    if by_place:
        conditions.append(
            and_(
                Ticket.area_code == bindparam("area_code"),
                Ticket.matter_code == bindparam("matter_code"),
            )
        )
    # Only the columns the duplicate check reads, as plain rows: up to 50 full ORM tickets per
    # intake cost more than the rest of the check.
    return (
        select(
            Ticket.id,
            Ticket.number,
            Ticket.requester_phone_key,
            Ticket.area_code,
            Ticket.matter_code,
            Ticket.text,
            Ticket.accepted_at,
            Ticket.state,
        )
        .where(
            or_(*conditions),
            Ticket.accepted_at >= bindparam("since"),
            Ticket.parent_id.is_(None),
            Ticket.triage_outcome.in_([TriageOutcome.DISPATCH, TriageOutcome.ANSWER]),
        )
        .order_by(Ticket.accepted_at.desc())
        .limit(CANDIDATE_LIMIT)
    )


def _candidate_rows(
    session: DbSession,
    key: str | None,
    area_code: str | None,
    matter_code: str | None,
    since: datetime,
) -> list[Any]:
    by_caller, by_place = bool(key), bool(area_code and matter_code)
    if not (by_caller or by_place):
        return []
    params: dict[str, Any] = {"since": since}
    if by_caller:
        params["key"] = key
    if by_place:
        params |= {"area_code": area_code, "matter_code": matter_code}
    return list(session.execute(_candidate_query(by_caller, by_place), params))


def _candidate(t: Any, key: str | None, phone: str | None) -> DuplicateCandidate:
    return DuplicateCandidate(
        ticket_id=t.id,
        number=t.number,
        # Only "the same caller" matters; the digest comparison says so without reading PII.
        requester_phone=phone if key and t.requester_phone_key == key else None,
        area_code=t.area_code,
        matter_code=t.matter_code,
        text=t.text,
        accepted_at=t.accepted_at,
        open=t.state in OPEN_STATES,
    )


@dataclass(frozen=True)
class Assessment:
    """What triage and the classifier say of a text, before any duplicate check or ticket."""

    triage: TriageResult
    classification: Classification
    matter_code: str | None


def assess(context: RoutingContext, text: str, matter_code: str | None) -> Assessment:
    """Triage (not accepted, emergency, legal route) and the matter, the agent's if given.

    A matter that the classifier puts under a legal route is triaged again as a referral.
    """
    triaged = triage(text, context.triage_rules, matter_code, context.legal_route_matters)
    classification = context.classifier.classify(text, matter_code)
    matter = classification.matter_code
    if triaged.outcome is None and matter in context.legal_route_matters:
        triaged = triage(text, context.triage_rules, matter, context.legal_route_matters)
    return Assessment(triaged, classification, matter)


def route(
    context: RoutingContext, matter_code: str | None, area_code: str | None, appeal_type: str
) -> Decision:
    """The catalogue's decision for a matter and area (or the fallback that applies)."""
    return resolve(
        context.catalogue,
        context.matters,
        context.areas,
        context.units,
        matter_code,
        area_code,
        AppealType(appeal_type),
    )


def submit(
    session: DbSession, actor: Actor, submission: Submission, *, at: datetime | None = None
) -> IntakeResult:
    """Accept one appeal with exactly one triage outcome, and dispatch it when the catalogue can."""
    at = at or utcnow()
    context = routing_context()
    check_codes(context, submission)
    phone = normalise(submission.requester_phone) if submission.requester_phone else None
    key = phone_key(phone)
    requester = _requester(session, submission, phone)
    config = current_app.config

    assessment = assess(context, submission.text, submission.matter_code)
    triaged, classification = assessment.triage, assessment.classification
    matter_code = assessment.matter_code
    decision: Decision | None = None
    duplicate: DuplicateMatch | None = None
    parent: Ticket | None = None
    outcome = triaged.outcome
    reason = triaged.reason_zh

    if outcome is None:
        window = timedelta(days=int(config["DUPLICATE_WINDOW_DAYS"]))
        rows = _candidate_rows(session, key, submission.area_code, matter_code, at - window)
        # No candidates, no duplicate: the text is not even tokenised.
        duplicate = (
            find_duplicate(
                submission.text,
                phone,
                submission.area_code,
                matter_code,
                at,
                [_candidate(t, key, phone) for t in rows],
                window,
            )
            if rows
            else None
        )
        if duplicate is not None:
            # Locked (and read afresh) now: concurrent intakes merging into it queue here.
            parent = session.get(
                Ticket, duplicate.ticket_id, with_for_update=True, populate_existing=True
            )
            outcome = TriageOutcome.MERGE if duplicate.open else TriageOutcome.NOT_ACCEPTED
            reason = duplicate.reason_zh
    if outcome is None and submission.answer:
        outcome, reason = TriageOutcome.ANSWER, "受理时直接答复"
    if outcome is None:
        outcome = TriageOutcome.DISPATCH
        decision = route(context, matter_code, submission.area_code, submission.appeal_type)
        reason = decision.reason

    accept_payload = {
        "triage": {
            "service": triaged.service,
            "route": triaged.route,
            "guidance": triaged.guidance_zh,
            "matched": triaged.matched,
        },
        "duplicate": duplicate.number if duplicate else None,
    } | ({"extra": submission.extra} if submission.extra else {})
    ticket = lifecycle.accept(
        session,
        actor,
        Intake(
            channel=submission.channel,
            appeal_type=submission.appeal_type,
            urgency=submission.urgency,
            text=submission.text,
            title=submission.title,
            source_line=submission.source_line,
            external_id=submission.external_id,
            matter_code=matter_code,
            area_code=submission.area_code,
            address=submission.address,
            latitude=submission.latitude,
            longitude=submission.longitude,
            anonymous=submission.anonymous,
            # Reports of wrongdoing (举报) always hide the requester from units.
            confidential=submission.confidential or submission.appeal_type == AppealType.REPORT,
            requester_phone_key=key,
            classification=_classification_mapping(classification),
        ),
        outcome,
        reason=reason,
        requester=requester,
        parent=parent,
        parent_locked=parent is not None,
        at=at,
        # Channel-specific facts (an Open311 media_url...) are kept with the intake record.
        payload=accept_payload,
        # The ticket goes to the database once, with its decision and dispatch (no UPDATE).
        flush=False,
    )
    if outcome is TriageOutcome.ANSWER and submission.answer:
        ticket.reply_text = submission.answer
    if decision is not None:
        ticket.dispatch_decision = decision.to_mapping()
        ticket.catalogue_entry_id = decision.entry_id
        ticket.catalogue_version = decision.catalogue_version
    if decision is not None and decision.lead_unit is not None:
        lifecycle.dispatch(
            session,
            ticket,
            SYSTEM,
            decision.lead_unit,
            decision.assist_units,
            decision=decision.to_mapping(),
            at=at,
        )
    else:
        session.flush()
    return IntakeResult(
        ticket,
        triaged,
        classification,
        decision,
        duplicate,
        # What the accept event's payload holds, as the API's triage view reads it.
        {"outcome": str(outcome), "reason": reason, "channel": submission.channel} | accept_payload,
        requester,
        parent,
    )


def _classification_mapping(classification: Classification | None) -> dict[str, Any] | None:
    if classification is None:
        return None
    return {
        "matter_code": classification.matter_code,
        "confidence": round(classification.confidence, 4),
        "method": classification.method,
        "candidates": [[code, round(score, 4)] for code, score in classification.candidates],
    }
