"""Accepting an appeal with its triage outcome, answering at intake, merging and linking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from hotline.clock import utcnow
from hotline.domain import current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.actor import Actor
from hotline.lifecycle.clocks import raise_urgency
from hotline.lifecycle.errors import DomainError
from hotline.lifecycle.notes import add_note
from hotline.lifecycle.record import allocate, begin, record
from hotline.models import Requester, Ticket, TicketEvent
from hotline.models.ticket import CLOCKS
from routing.glossary import URGENCY_LABELS, TriageOutcome, Urgency
from routing.workflow import (
    OPEN_STATES,
    Action,
    MergeFacts,
    PermissionDenied,
    Role,
    TicketState,
    merge_ground,
)

INTAKE_ROLES = frozenset(
    {Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM, Role.INTEGRATION}
)


@dataclass
class Intake:
    """What an agent, a webhook or an API client hands over for one appeal."""

    channel: str
    appeal_type: str
    urgency: str
    text: str
    title: str = ""
    source_line: str | None = None
    external_id: str | None = None
    matter_code: str | None = None
    area_code: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    anonymous: bool = False
    confidential: bool = False
    requester_phone_key: str | None = None
    classification: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def default_title(text: str) -> str:
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return first_line[:40] or "（无标题）"


def build_ticket(
    intake: Intake,
    outcome: TriageOutcome,
    *,
    reason: str,
    number: str,
    ticket_id: int | None,
    requester_id: int | None,
    parent: Ticket | None,
    at: datetime,
) -> Ticket:
    """The new ticket as accepted, not yet in any session."""
    return Ticket(
        id=ticket_id,
        number=number,
        # The column defaults, set now: dispatch reads them before the one flush.
        assignments=[],
        due_provisional=False,
        extension_state="none",
        reopen_count=0,
        hop_count=0,
        repeat_count=0,
        escalated=False,
        channel=intake.channel,
        source_line=intake.source_line,
        external_id=intake.external_id,
        appeal_type=intake.appeal_type,
        urgency=intake.urgency,
        matter_code=intake.matter_code,
        area_code=intake.area_code,
        address=intake.address,
        latitude=intake.latitude,
        longitude=intake.longitude,
        title=(intake.title or default_title(intake.text))[:200],
        text=intake.text,
        anonymous=intake.anonymous,
        confidential=intake.confidential,
        requester_phone_key=intake.requester_phone_key,
        classification=intake.classification,
        triage_outcome=str(outcome),
        triage_reason=reason,
        state=str(
            TicketState.PENDING_DISPATCH
            if outcome is TriageOutcome.DISPATCH
            else TicketState.CLOSED
        ),
        accepted_at=at,
        requester_id=requester_id,
        parent_id=parent.id if parent is not None and outcome is TriageOutcome.MERGE else None,
        linked_ticket_id=parent.id if parent is not None else None,
        closed_at=at if outcome is not TriageOutcome.DISPATCH else None,
        event_seq=0,
        version=1,
    )


def accept_payload(
    outcome: TriageOutcome, reason: str, intake: Intake, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the accept event records: the triage outcome and why, what the statistics group
    by (channel, merged line, appeal type, urgency, matter, area) and whether the requester
    can be called back (anonymous) — the event log alone must give every KPI — and any
    channel-specific facts."""
    return {
        "outcome": str(outcome),
        "reason": reason,
        "channel": str(intake.channel),
        "source_line": intake.source_line,
        "appeal_type": str(intake.appeal_type),
        "urgency": str(intake.urgency),
        "matter_code": intake.matter_code,
        "area_code": intake.area_code,
        "anonymous": bool(intake.anonymous),
    } | (extra or {})


def accept(
    session: DbSession,
    actor: Actor,
    intake: Intake,
    outcome: TriageOutcome,
    *,
    reason: str = "",
    requester: Requester | None = None,
    parent: Ticket | None = None,
    at: datetime | None = None,
    payload: dict[str, Any] | None = None,
    flush: bool = True,
    parent_locked: bool = False,
) -> Ticket:
    """受理: register the appeal with exactly one triage outcome.

    A dispatch outcome waits in `pending_dispatch`; every other outcome ends the ticket at
    intake (emergency transfer, legal-route referral, not accepted, answered, merged).
    `flush=False` leaves the new rows to the caller's next flush (intake dispatches at once).
    `parent_locked=True` says the caller has just read the parent with FOR UPDATE.
    """
    if actor.role not in INTAKE_ROLES:
        raise PermissionDenied(f"角色 {actor.role} 无权受理诉求")
    if outcome is TriageOutcome.MERGE and parent is None:
        raise DomainError("merge_without_parent", "并单必须指定主工单")
    at = at or utcnow()
    domain = current_domain()
    allocation = allocate(session, at, domain.tz, requester=False)
    if parent is not None and not parent_locked:
        # Lock and re-read the parent: an intake that merged into it meanwhile has committed,
        # and its version is current.
        session.refresh(parent, with_for_update=True)
    ticket = build_ticket(
        intake,
        outcome,
        reason=reason,
        number=allocation.number,
        ticket_id=allocation.ticket_id,
        requester_id=requester.id if requester is not None else None,
        parent=parent,
        at=at,
    )
    session.add(ticket)
    record(
        session,
        ticket,
        Action.ACCEPT,
        actor,
        at,
        None,
        accept_payload(outcome, reason, intake, payload),
        flush=False,
    )
    if parent is not None:
        link(
            session,
            parent,
            ticket,
            actor,
            at=at,
            merged=outcome is TriageOutcome.MERGE,
            flush=False,
        )
    if flush:
        session.flush()
    return ticket


def answer(
    session: DbSession, ticket: Ticket, actor: Actor, text: str, *, at: datetime | None = None
) -> Ticket:
    """直接答复: resolve a waiting ticket at the centre without dispatching it."""
    from_state = begin(ticket, Action.ANSWER, actor)
    if not text.strip():
        raise DomainError("answer_required", "直接答复必须填写答复内容")
    at = at or utcnow()
    ticket.state = TicketState.CLOSED
    ticket.triage_outcome = TriageOutcome.ANSWER
    ticket.triage_reason = "坐席直接答复，未派单"
    ticket.reply_text = text
    ticket.closed_at = at
    ticket.next_due_at = None
    record(session, ticket, Action.ANSWER, actor, at, from_state, {"answer": text})
    return ticket


def link(
    session: DbSession,
    parent: Ticket,
    child: Ticket,
    actor: Actor,
    *,
    at: datetime | None = None,
    merged: bool = False,
    flush: bool = True,
) -> None:
    """Count a repeat contact on the earlier ticket (重复件) and note it on its log, with what
    the repeat said: the people working on the ticket read new facts there ("今天早上又把人困在
    里面半小时"), through the same masking as any note, unless the repeat is confidential."""
    at = at or utcnow()
    begin(parent, Action.LINK, actor)
    parent.repeat_count = (parent.repeat_count or 0) + 1
    payload: dict[str, Any] = {"ticket_id": child.id, "number": child.number, "merged": merged}
    if not child.hidden_from_everyone:
        payload["text"] = child.text
    if child.urgency != parent.urgency:
        payload["urgency"] = child.urgency
    raised = None
    if merged and child.urgency and TicketState(parent.state) in OPEN_STATES:
        raised = raise_urgency(session, current_domain(), parent, Urgency(child.urgency), at)
        if raised is not None:
            payload["urgency_raised"] = raised
    event = record(session, parent, Action.LINK, actor, at, parent.state, payload, flush=flush)
    if raised is not None and raised.get("due"):
        # The lead unit learns that its time is shorter now, and until when.
        due: dict[str, str] = raised["due"]  # type: ignore[assignment]
        from hotline.lifecycle.dispatching import notify_back

        notify_back(
            session,
            parent,
            event.seq,
            "notify_unit_urgency_raised",
            extra={
                "note": URGENCY_LABELS[Urgency(child.urgency)],
                "due_at": due.get("handle_due_at") or min(due.values()),
                "due_provisional": bool(parent.due_provisional),
            },
        )


_MERGE_GROUNDS = {"same_requester": "同一诉求人", "same_place": "同一地点"}


def _merge_facts(ticket: Ticket) -> MergeFacts:
    return MergeFacts(ticket.requester_phone_key, ticket.area_code, ticket.matter_code)


def merge(
    session: DbSession,
    ticket: Ticket,
    parent: Ticket,
    actor: Actor,
    *,
    override: bool = False,
    reason: str = "",
    at: datetime | None = None,
) -> Ticket:
    """并单: fold a ticket into an open one about the same appeal; it closes, linked.

    The same rule as intake's duplicate check: the same requester (phone) or the same place
    (area and matter), and never a different matter. `override` lets the centre merge what the
    data cannot show to be one appeal (a requester calling from another phone, a ticket with
    no area yet); it needs a reason, which the event and the triage reason keep.
    """
    if parent.id == ticket.id:
        raise DomainError("merge_into_self", "不能与自身并单")
    # Both rows locked and read afresh, in id order: an intake merging a repeat into either,
    # or another merge, waits here instead of joining a ticket about to close.
    session.flush()  # what this transaction changed is kept; the lock reads the rest afresh
    for locked in sorted((ticket, parent), key=lambda t: t.id):
        session.refresh(locked, with_for_update=True)
    from_state = begin(ticket, Action.MERGE, actor)
    if TicketState(parent.state) not in OPEN_STATES:
        raise DomainError("merge_into_closed", "只能并入办理中的工单", {"parent": parent.number})
    ground = merge_ground(_merge_facts(ticket), _merge_facts(parent))
    if ground is not None:
        why = f"人工并单：与工单{parent.number}为{_MERGE_GROUNDS[ground]}反映的相同问题。"
    elif not override:
        raise DomainError(
            "merge_unrelated",
            f"只能并入同一诉求人或同一地点、同一事项的工单，工单{parent.number}与本工单无此关联"
            "；确属同一诉求请注明理由强制并单（override）",
            {"parent": parent.number},
        )
    elif not reason.strip():
        raise DomainError("reason_required", "强制并单必须说明理由")
    else:
        ground = "override"
        why = f"人工强制并单：并入工单{parent.number}，理由：{reason.strip()}"
    at = at or utcnow()
    ticket.state = TicketState.CLOSED
    ticket.triage_outcome = TriageOutcome.MERGE
    ticket.triage_reason = why
    ticket.parent_id = parent.id
    # As an intake merge does: the repeat points at the ticket it repeats (duplicate_of).
    ticket.linked_ticket_id = parent.id
    ticket.closed_at = at
    ticket.next_due_at = None
    for assignment in ticket.assignments:
        assignment.active = False
    # What had been merged into this ticket follows it: their status is the parent's now, and
    # each counts as a repeat of it, no longer of this one (the merge event names them).
    children = list(session.scalars(select(Ticket).where(Ticket.parent_id == ticket.id)))
    payload: dict[str, Any] = {
        "parent": parent.number,
        "ground": ground,
        "reason": reason.strip() or why,
    }
    if children:
        payload["moved"] = [child.number for child in children]
    record(session, ticket, Action.MERGE, actor, at, from_state, payload)
    link(session, parent, ticket, actor, at=at, merged=True)
    for child in children:
        child.parent_id = parent.id
        child.linked_ticket_id = parent.id
        link(session, parent, child, actor, at=at, merged=True)
    ticket.repeat_count = max(0, (ticket.repeat_count or 0) - len(children))
    return ticket


def split(
    session: DbSession, ticket: Ticket, actor: Actor, *, reason: str, at: datetime | None = None
) -> Ticket:
    """拆单: a repeat that intake or a dispatcher closed into another ticket (merged into it, or
    refused as the same facts as it) is an appeal of its own after all: it goes back to the
    dispatch queue as if never dispatched (a ticket merged by hand after its dispatch leaves its
    unit, clocks and assignments behind, recorded in the event), no longer counted as a repeat
    of that ticket, whose log says so."""
    repeat_of = ticket.parent_id or ticket.linked_ticket_id
    other = session.get(Ticket, repeat_of) if repeat_of is not None else None
    session.flush()  # what this transaction changed is kept; the lock reads the rest afresh
    # Both locked in id order, as a merge locks them, so that the two never wait on each other.
    for locked in sorted((t for t in (ticket, other) if t is not None), key=lambda t: t.id):
        session.refresh(locked, with_for_update=True)
    from_state = begin(ticket, Action.SPLIT, actor)
    if (ticket.parent_id or ticket.linked_ticket_id) != repeat_of:
        raise DomainError("concurrent_change", "工单刚被他人并单或拆单，请刷新后重试")
    if not reason.strip():
        raise DomainError("reason_required", "拆单必须说明理由")
    repeated = ticket.triage_outcome == TriageOutcome.MERGE or (
        ticket.triage_outcome == TriageOutcome.NOT_ACCEPTED and ticket.linked_ticket_id
    )
    if not repeated or other is None:
        raise DomainError("not_a_repeat", "只有并单或作为重复件不予受理的工单可以拆单")
    at = at or utcnow()
    payload: dict[str, Any] = {"from": other.number, "reason": reason.strip()}
    if ticket.lead_unit_code is not None:
        payload["left_unit"] = ticket.lead_unit_code
    ticket.state = TicketState.PENDING_DISPATCH
    ticket.triage_outcome = TriageOutcome.DISPATCH
    ticket.triage_reason = f"拆单：原为工单{other.number}的重复件，理由：{reason.strip()}"
    ticket.parent_id = None
    ticket.linked_ticket_id = None
    ticket.closed_at = None
    # As before any dispatch: no unit holds it, and no clock runs until a dispatcher sends it.
    ticket.lead_unit_code = None
    ticket.dispatched_at = None
    ticket.next_due_at = None
    for clock in CLOCKS:
        for column in ("due_at", "met_at", "breached_at"):
            setattr(ticket, f"{clock}_{column}", None)
    ticket.due_provisional = False
    ticket.extension_state = "none"
    ticket.extension_days = None
    ticket.extension_reason = None
    ticket.state_before_return = None
    for assignment in ticket.assignments:
        assignment.active = False
    returned = _moved_back(session, ticket, other)
    if returned:
        payload["returned"] = returned
    record(session, ticket, Action.SPLIT, actor, at, from_state, payload)
    # Counted as a repeat when it was linked (accept or merge): no longer one.
    other.repeat_count = max(0, (other.repeat_count or 0) - 1)
    back = f"；随其并入的重复件{'、'.join(returned)}一并拆回" if returned else ""
    add_note(
        session,
        other,
        actor,
        f"工单{ticket.number}已拆出单独办理，不再作为本工单的重复件{back}：{reason.strip()}",
        at=at,
        payload={"split": ticket.number} | ({"returned": returned} if returned else {}),
    )
    return ticket


def _moved_back(session: DbSession, ticket: Ticket, other: Ticket) -> list[str]:
    """The repeats that followed `ticket` into `other` when it was merged (its merge event names
    them) go back with it, those still there: they repeat `ticket`, not `other`."""
    merged = session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == Action.MERGE.value)
        .order_by(TicketEvent.seq.desc())
        .limit(1)
    ).first()
    moved = (merged.payload or {}).get("moved", []) if merged is not None else []
    if not moved:
        return []
    children = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.number.in_(moved), Ticket.parent_id == other.id)
            .order_by(Ticket.id)
        )
    )
    for child in children:
        child.parent_id = ticket.id
        child.linked_ticket_id = ticket.id
    other.repeat_count = max(0, (other.repeat_count or 0) - len(children))
    ticket.repeat_count = (ticket.repeat_count or 0) + len(children)
    return [child.number for child in children]
