"""The ticket state machine: which action may happen in which state, and by whom."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from routing.glossary import UnitKind


class TicketState(StrEnum):
    PENDING_DISPATCH = (
        "pending_dispatch"  # accepted for dispatch; the manual queue when no unit yet
    )
    DISPATCHED = "dispatched"
    SIGNED = "signed"
    HANDLING = "handling"  # the unit has contacted the requester (响应)
    RETURNED = "returned"  # a unit said "not ours"; awaiting arbitration
    REPLIED = "replied"
    REVIEWED = "reviewed"  # the centre approved the reply; awaiting the callback
    RATED = "rated"  # the callback is done; close or reopen follows
    CLOSED = "closed"


class Role(StrEnum):
    AGENT = "agent"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    UNIT = "unit"
    INTEGRATION = "integration"
    SYSTEM = "system"


class Action(StrEnum):
    ACCEPT = "accept"
    ANSWER = "answer"
    DISPATCH = "dispatch"
    SIGN = "sign"
    CONTACT = "contact"
    RETURN = "return"
    ARBITRATE = "arbitrate"
    REDISPATCH = "redispatch"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    DENY_EXTENSION = "deny_extension"
    REPLY_PART = "reply_part"
    REPLY = "reply"
    REVIEW = "review"
    CALLBACK = "callback"
    REOPEN = "reopen"
    CLOSE = "close"
    MERGE = "merge"
    SPLIT = "split"
    URGE = "urge"
    SUPERVISE = "supervise"
    ESCALATE = "escalate"
    LINK = "link"
    RECOMPUTE_DUE = "recompute_due"
    BREACH = "breach"
    NOTE = "note"
    RELAY = "relay"


S = TicketState
WORK_STATES = frozenset({S.DISPATCHED, S.SIGNED, S.HANDLING})
OPEN_STATES = frozenset(set(S) - {S.CLOSED})
CENTRE = frozenset({Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})
DISPATCHERS = frozenset({Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})
DECIDERS = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})
UNIT = frozenset({Role.UNIT})

# (states the action is legal in, roles that may take it). A closed ticket is archived: only a
# repeat contact (link) or a note joins it, and a repeat closed into another may be split off.
# Reopening follows an unsatisfied callback, before closing (`must_reopen`); a ticket closed
# after a satisfied callback or a write-off stays closed.
RULES: dict[Action, tuple[frozenset[TicketState], frozenset[Role]]] = {
    Action.ANSWER: (frozenset({S.PENDING_DISPATCH}), DISPATCHERS),
    Action.DISPATCH: (frozenset({S.PENDING_DISPATCH}), DISPATCHERS),
    Action.SIGN: (frozenset({S.DISPATCHED}), UNIT),
    Action.CONTACT: (frozenset({S.SIGNED}), UNIT),
    # Returns are bounded by the window from dispatch, not by contact: a unit that learns from
    # the requester that the matter is not its own may still return it inside the window.
    Action.RETURN: (WORK_STATES, UNIT),
    Action.ARBITRATE: (frozenset({S.RETURNED}), DECIDERS),
    Action.REDISPATCH: (frozenset({S.DISPATCHED, S.SIGNED, S.HANDLING}), DECIDERS),
    Action.REQUEST_EXTENSION: (WORK_STATES, UNIT),
    Action.APPROVE_EXTENSION: (WORK_STATES | {S.RETURNED}, DECIDERS),
    Action.DENY_EXTENSION: (WORK_STATES | {S.RETURNED}, DECIDERS),
    Action.REPLY_PART: (WORK_STATES, UNIT),
    Action.REPLY: (frozenset({S.HANDLING}), UNIT),
    Action.REVIEW: (frozenset({S.REPLIED}), DECIDERS),
    Action.CALLBACK: (frozenset({S.REVIEWED}), CENTRE),
    Action.REOPEN: (frozenset({S.RATED}), DECIDERS),
    Action.CLOSE: (frozenset({S.RATED}), DECIDERS),
    Action.MERGE: (frozenset({S.PENDING_DISPATCH, S.DISPATCHED, S.SIGNED}), DECIDERS),
    # 拆单: a repeat closed into another ticket (merged, or refused as the same facts) that the
    # centre finds to be an appeal of its own goes back to the dispatch queue.
    Action.SPLIT: (frozenset({S.CLOSED}), DECIDERS),
    Action.URGE: (WORK_STATES | {S.RETURNED, S.REPLIED}, DECIDERS),
    Action.SUPERVISE: (WORK_STATES | {S.RETURNED, S.REPLIED}, DECIDERS),
    Action.ESCALATE: (OPEN_STATES, DECIDERS),
    Action.LINK: (OPEN_STATES | {S.CLOSED}, CENTRE | {Role.INTEGRATION}),
    Action.RECOMPUTE_DUE: (OPEN_STATES, frozenset({Role.SYSTEM, Role.ADMIN})),
    Action.BREACH: (OPEN_STATES, frozenset({Role.SYSTEM})),
    # A requester's later message (SMS follow-up, survey answer) joins the log in any state.
    Action.NOTE: (OPEN_STATES | {S.CLOSED}, CENTRE | {Role.INTEGRATION}),
    # A unit that holds the ticket texts the requester through the hotline's number (the centre
    # relays contact: units never see who the requester is).
    Action.RELAY: (frozenset({S.SIGNED, S.HANDLING}), UNIT),
}


class TransitionError(Exception):
    """An action that the ticket's state does not allow; nothing was changed."""

    code = "illegal_transition"


class PermissionDenied(Exception):
    """An actor whose role may not take this action; nothing was changed."""

    code = "forbidden"


ACTION_LABELS = {
    Action.ACCEPT: "受理",
    Action.ANSWER: "直接答复",
    Action.DISPATCH: "派单",
    Action.SIGN: "签收",
    Action.CONTACT: "联系诉求人",
    Action.RETURN: "退单",
    Action.ARBITRATE: "派单异议审核",
    Action.REDISPATCH: "改派",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "批准延期",
    Action.DENY_EXTENSION: "驳回延期",
    Action.REPLY_PART: "协办答复",
    Action.REPLY: "答复",
    Action.REVIEW: "审核",
    Action.CALLBACK: "回访",
    Action.REOPEN: "重办",
    Action.CLOSE: "办结",
    Action.MERGE: "并单",
    Action.SPLIT: "拆单",
    Action.URGE: "催办",
    Action.SUPERVISE: "督办",
    Action.ESCALATE: "提级督办",
    Action.LINK: "关联重复件",
    Action.RECOMPUTE_DUE: "重算时限",
    Action.BREACH: "预警/超期",
    Action.NOTE: "补充说明",
    Action.RELAY: "经中心联系诉求人",
}

STATE_LABELS = {
    S.PENDING_DISPATCH: "待派单",
    S.DISPATCHED: "已派单",
    S.SIGNED: "已签收",
    S.HANDLING: "办理中",
    S.RETURNED: "退单待审",
    S.REPLIED: "已答复",
    S.REVIEWED: "待回访",
    S.RATED: "已回访",
    S.CLOSED: "已办结",
}


def check(action: Action, state: TicketState, role: Role) -> None:
    """Raise unless `role` may take `action` on a ticket in `state`."""
    states, roles = RULES[action]
    if role not in roles:
        raise PermissionDenied(f"角色 {role} 无权执行「{ACTION_LABELS[action]}」({action})")
    if state not in states:
        raise TransitionError(
            f"工单处于「{STATE_LABELS[state]}」({state})，不能执行「{ACTION_LABELS[action]}」({action})"
        )


def must_reopen(satisfaction: object, unit_fault: object) -> bool:
    """重办 follows exactly an unsatisfied callback that is the unit's own fault; every other
    rating (satisfied, basically satisfied, unreachable, unsatisfied without fault) closes."""
    return satisfaction == "unsatisfied" and unit_fault is True


def may_handle(kind: str) -> bool:
    """Whether a unit of this kind can be sent tickets: the hotline centre itself cannot."""
    return kind != UnitKind.CENTRE


class Reassignment(StrEnum):
    """What a redispatch changes."""

    NOTHING = "nothing"
    ASSISTS = "assists"  # same lead unit: its clocks and accountability run on
    LEAD = "lead"  # a new lead unit: its accountability starts at this dispatch


def reassignment(
    current_lead: str | None, current_assists: Iterable[str], lead: str, assists: Iterable[str]
) -> Reassignment:
    """Compare a redispatch's units with the ticket's current ones (assist order is no change)."""
    if lead != current_lead:
        return Reassignment.LEAD
    if set(assists) != set(current_assists):
        return Reassignment.ASSISTS
    return Reassignment.NOTHING


@dataclass(frozen=True, slots=True)
class MergeFacts:
    """What decides whether two tickets are the same appeal: who, where, about what."""

    phone_key: str | None
    area_code: str | None
    matter_code: str | None


def merge_ground(ticket: MergeFacts, parent: MergeFacts) -> str | None:
    """Why `ticket` may be merged into `parent` (the intake duplicate rule): "same_requester"
    or "same_place", about the same matter; None when they are not the same appeal."""
    if ticket.matter_code and parent.matter_code and ticket.matter_code != parent.matter_code:
        return None  # one caller's second, different problem is a new appeal
    if ticket.phone_key is not None and ticket.phone_key == parent.phone_key:
        return "same_requester"
    if (
        ticket.area_code is not None
        and ticket.matter_code is not None
        and (ticket.area_code, ticket.matter_code) == (parent.area_code, parent.matter_code)
    ):
        return "same_place"
    return None


def replay(transitions: list[tuple[str | None, str]]) -> TicketState:
    """Fold (from_state, to_state) pairs of an event log into the state they lead to.

    Raises ValueError when the chain is broken: an event whose from-state is not where the
    previous event left the ticket.
    """
    state: str | None = None
    for from_state, to_state in transitions:
        if from_state != state:
            raise ValueError(f"event log broken: expected from_state {state}, got {from_state}")
        state = to_state
    if state is None:
        raise ValueError("an empty event log has no state")
    return TicketState(state)
