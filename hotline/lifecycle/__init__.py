"""The lifecycle service: the only code that changes a ticket's state.

Every function checks the actor's role and the transition, writes one event and flushes;
the caller (a request or a job) commits once.
"""

from hotline.lifecycle.actor import SYSTEM, Actor
from hotline.lifecycle.closing import callback, close, reopen, review
from hotline.lifecycle.deadlines import recompute_due, record_breach
from hotline.lifecycle.dispatching import arbitrate, dispatch, redispatch, return_ticket
from hotline.lifecycle.errors import DomainError, NotFound, PermissionDenied, TransitionError
from hotline.lifecycle.handling import (
    contact,
    decide_extension,
    reply,
    reply_part,
    request_extension,
    sign,
)
from hotline.lifecycle.intake import Intake, accept, accept_payload, answer, link, merge, split
from hotline.lifecycle.notes import add_note
from hotline.lifecycle.registration import register
from hotline.lifecycle.relay import relay
from hotline.lifecycle.supervision import escalate, supervise, urge

__all__ = [
    "SYSTEM",
    "Actor",
    "DomainError",
    "Intake",
    "NotFound",
    "PermissionDenied",
    "TransitionError",
    "accept",
    "accept_payload",
    "add_note",
    "answer",
    "arbitrate",
    "callback",
    "close",
    "contact",
    "decide_extension",
    "dispatch",
    "escalate",
    "link",
    "merge",
    "recompute_due",
    "record_breach",
    "redispatch",
    "register",
    "relay",
    "reopen",
    "reply",
    "reply_part",
    "request_extension",
    "return_ticket",
    "review",
    "sign",
    "split",
    "supervise",
    "urge",
]
