"""The intake service: every channel's appeal goes through the same triage, duplicate check,
classification and routing, and ends in the one ticket queue."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import bindparam, literal_column, select, union_all

from hotline import lifecycle
from hotline.channel_notes import citizens_words, without_note
from hotline.clock import utcnow
from hotline.control_characters import without_controls
from hotline.extensions import DbSession
from hotline.lifecycle import Actor, DomainError, Intake
from hotline.models import Requester, Ticket
from hotline.phones import caller_number, phone_key
from hotline.postgres import run
from hotline.routing_context import RoutingContext, routing_context
from routing.classify import Classification, matter_outside
from routing.glossary import (
    AREA_LEVEL_DEPTH,
    AppealType,
    AreaLevel,
    Channel,
    TriageOutcome,
    Urgency,
)
from routing.locating import area_in_address
from routing.router import Decision, resolve
from routing.triage import DuplicateCandidate, DuplicateMatch, TriageResult, find_duplicate, triage
from routing.workflow import OPEN_STATES
from workers import relay as _relay  # noqa: F401 - registers the outbox hooks before any commit

CANDIDATE_LIMIT = 50
# How far a repeat follows a chain of merges to the ticket still open (a merge takes its own
# repeats along, so a chain is at most one link long but for a merge committed meanwhile).
MAX_MERGE_HOPS = 3


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


# What a person typed, said or had transcribed. Codes, enum values and the channel's external
# id are not here: a control character in a code makes it unknown (check_codes says so), and
# dropping one from an id could make two different ids one.
FREE_TEXT = (
    "text",
    "title",
    "source_line",
    "address",
    "requester_name",
    "requester_phone",
    "requester_email",
    "requester_id_number",
    "answer",
)


def without_control_characters(submission: Submission) -> Submission:
    """The submission with control characters (NUL included) removed from its free text.

    Removed, not refused, and here for every channel: an SMS or a voicemail cannot be sent
    again, so refusing would lose the appeal, and an ESC or a NUL in it carries no meaning. No
    channel can then store what would break an XML document or a terminal showing the ticket.
    (The console API and Open311 still refuse NUL with a 400 naming the field: they check every
    field of a request, codes and ids included, where dropping a character changes its meaning.)
    """
    cleaned: dict[str, Any] = {
        name: without_controls(value)
        for name in FREE_TEXT
        if isinstance(value := getattr(submission, name), str)
    }
    return replace(submission, **cleaned)


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


def _requester(submission: Submission, phone: str | None) -> Requester | None:
    """The requester as given, not yet saved (or None when nothing identifies anyone)."""
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


_REPEATABLE_OUTCOMES = (TriageOutcome.DISPATCH, TriageOutcome.ANSWER)
_CANDIDATE_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.requester_phone_key,
    Ticket.area_code,
    Ticket.matter_code,
    Ticket.text,
    Ticket.accepted_at,
    Ticket.state,
)


def _candidate_branch(*conditions: Any) -> Any:
    # Only the columns the duplicate check reads, as plain rows: full ORM tickets cost more
    # than the rest of the check.
    branch: Any = (
        select(*_CANDIDATE_COLUMNS)
        .where(
            *conditions,
            Ticket.accepted_at >= bindparam("since"),
            Ticket.parent_id.is_(None),
            # Constants in the SQL, not expanding parameters: the statement is compiled once.
            Ticket.triage_outcome.in_([literal_column(f"'{o}'") for o in _REPEATABLE_OUTCOMES]),
        )
        .order_by(Ticket.accepted_at.desc())
        .limit(CANDIDATE_LIMIT)
    )
    return branch


@cache
def _candidate_query(by_caller: bool, by_place: bool) -> Any:
    """The candidates' query for one shape of conditions, built once per process (building
    and hashing the statement anew on every intake costs more than running it). Each way of
    being a repeat (same caller; same matter in the same area) is its own branch on its own
    index, so the lookup costs the same however many tickets the city has."""
    branches = []
    if by_caller:
        branches.append(_candidate_branch(Ticket.requester_phone_key == bindparam("key")))
    if by_place:
        branches.append(
            _candidate_branch(
                Ticket.area_code == bindparam("area_code"),
                Ticket.matter_code == bindparam("matter_code"),
            )
        )
    if len(branches) == 1:
        return branches[0]
    # Each branch as a subquery: SQLite allows no ORDER BY or LIMIT inside a UNION's members.
    return union_all(*(select(branch.subquery()) for branch in branches))


class CandidateRow(NamedTuple):
    id: int
    number: str
    requester_phone_key: str | None
    area_code: str | None
    matter_code: str | None
    text: str
    accepted_at: datetime
    state: str


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
    rows = [
        CandidateRow(*row) for row in run(session, _candidate_query(by_caller, by_place), params)
    ]
    if by_caller and by_place:
        # A ticket of the same caller about the same place comes from both branches: once.
        unique = {row.id: row for row in rows}
        rows = sorted(unique.values(), key=lambda row: row.accepted_at, reverse=True)
    return list(rows[:CANDIDATE_LIMIT])


def _candidate(t: Any, key: str | None, phone: str | None) -> DuplicateCandidate:
    return DuplicateCandidate(
        ticket_id=t.id,
        number=t.number,
        # Only "the same caller" matters; the digest comparison says so without reading PII.
        requester_phone=phone if key and t.requester_phone_key == key else None,
        area_code=t.area_code,
        matter_code=t.matter_code,
        text=citizens_words(t.text),
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

    A legal-route matter the agent chose is a referral. One the classifier chose is not: the
    triage rules read the legal routes with their masks (我不想打官司，想请街道调解), the keyword
    classifier one word; its next candidate is taken instead (decisions.classifier_legal_matters).
    """
    triaged = triage(text, context.triage_rules, matter_code, context.legal_route_matters)
    classification = context.classifier.classify(text, matter_code)
    matter = classification.matter_code
    if matter_code is None and triaged.outcome is not TriageOutcome.REFERRAL:
        matter = matter_outside(classification, context.legal_route_matters)
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


# An area read from free text must be a street or finer: a district or the city named in
# passing ("云江市的路灯...") would make unrelated appeals "the same place" for duplicates.
TEXT_AREA_MIN_DEPTH = AREA_LEVEL_DEPTH[AreaLevel.STREET]


def with_located_area(context: RoutingContext, submission: Submission) -> Submission:
    """The area an agent would read off the appeal when the channel gave none: from the
    address, else from the area names the text itself mentions (an SMS, a voicemail saying
    "南湖街道翠苑社区门口..."), so that 属地 entries can find the street office."""
    if submission.area_code is not None:
        return submission
    area = area_in_address(context.areas, submission.address) or area_in_address(
        context.areas, submission.text, min_depth=TEXT_AREA_MIN_DEPTH
    )
    return replace(submission, area_code=area) if area is not None else submission


def submit(
    session: DbSession, actor: Actor, submission: Submission, *, at: datetime | None = None
) -> IntakeResult:
    """Accept one appeal with exactly one triage outcome, and dispatch it when the catalogue can."""
    at = at or utcnow()
    submission = without_control_characters(submission)
    context = routing_context()
    check_codes(context, submission)
    submission = with_located_area(context, submission)
    phone = caller_number(submission.requester_phone) if submission.requester_phone else None
    key = phone_key(phone)
    requester = _requester(submission, phone)
    config = current_app.config

    words = without_note(submission.text)
    assessment = assess(context, words, submission.matter_code)
    triaged, classification = assessment.triage, assessment.classification
    matter_code = assessment.matter_code
    decision: Decision | None = None
    duplicate: DuplicateMatch | None = None
    parent: Ticket | None = None
    outcome = triaged.outcome
    reason = triaged.reason_zh

    if outcome is None:
        window = timedelta(days=int(config["DUPLICATE_WINDOW_DAYS"]))
        # A person's own claim (wages, a pension) is never a neighbour's: not looked up by place.
        place_merges = matter_code not in context.personal_matters
        place = submission.area_code if place_merges else None
        rows = _candidate_rows(session, key, place, matter_code, at - window)
        # No candidates, no duplicate: the text is not even tokenised.
        duplicate = (
            find_duplicate(
                words,
                phone,
                submission.area_code,
                matter_code,
                at,
                [_candidate(t, key, phone) for t in rows],
                window,
                areas=context.areas,
                place_merges=place_merges,
                matter_candidates=[code for code, _ in classification.candidates],
            )
            if rows
            else None
        )
        if duplicate is not None:
            # Locked (and read afresh) now: concurrent intakes merging into it queue here.
            parent = session.get(
                Ticket, duplicate.ticket_id, with_for_update=True, populate_existing=True
            )
            # Merged into another since the lookup: the repeat joins the ticket it went to.
            for _ in range(MAX_MERGE_HOPS):
                if parent is None or parent.parent_id is None:
                    break
                parent = session.get(
                    Ticket, parent.parent_id, with_for_update=True, populate_existing=True
                )
            # Read under the lock: a ticket closed since the lookup takes no repeat.
            still_open = parent is not None and parent.state in OPEN_STATES
            outcome = TriageOutcome.MERGE if still_open else TriageOutcome.NOT_ACCEPTED
            reason = duplicate.reason_zh
    if outcome is None and submission.answer:
        outcome, reason = TriageOutcome.ANSWER, "受理时直接答复"
    if outcome is None:
        outcome = TriageOutcome.DISPATCH
        decision = route(context, matter_code, submission.area_code, submission.appeal_type)
        reason = decision.reason

    intake_facts = {
        "triage": {
            "service": triaged.service,
            "route": triaged.route,
            "guidance": triaged.guidance_zh,
            "matched": triaged.matched,
        }
        # A transfer on the emergency model's reading says so, with its probability.
        | ({"model_probability": triaged.probability} if triaged.probability is not None else {}),
        "duplicate": duplicate.number if duplicate else None,
    } | ({"extra": submission.extra} if submission.extra else {})
    if submission.answer and outcome is not TriageOutcome.ANSWER:
        # What the agent told the caller is kept even when triage decided otherwise (a
        # transfer, a referral, a repeat): the accept event holds it.
        intake_facts["agent_answer"] = submission.answer
    intake = Intake(
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
    )
    if parent is None:
        # The common case, written at once: the ticket, its events, assignments and outbox.
        ticket = lifecycle.register(
            session,
            actor,
            intake,
            outcome,
            reason=reason,
            at=at,
            requester=requester,
            # Channel-specific facts (an Open311 media_url...) are kept with the intake record.
            payload=intake_facts,
            answer=submission.answer if outcome is TriageOutcome.ANSWER else None,
            decision=decision.to_mapping() if decision is not None else None,
        )
    else:
        if requester is not None:
            session.add(requester)
            session.flush()
        ticket = lifecycle.accept(
            session,
            actor,
            intake,
            outcome,
            reason=reason,
            requester=requester,
            parent=parent,
            parent_locked=True,
            at=at,
            payload=intake_facts,
        )
    return IntakeResult(
        ticket,
        triaged,
        classification,
        decision,
        duplicate,
        # What the accept event's payload holds, as the API's triage view reads it.
        lifecycle.accept_payload(outcome, reason, intake, intake_facts),
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
