"""Errors raised by the lifecycle service; each carries a stable code for the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routing.workflow import PermissionDenied, Role, TransitionError

if TYPE_CHECKING:
    from hotline.lifecycle.actor import Actor
    from hotline.models import Ticket

__all__ = ["DomainError", "NotFound", "PermissionDenied", "TransitionError"]


class DomainError(Exception):
    """A request that breaks a domain rule (a late return, a second extension...)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__("not_found", f"{what} {key} 不存在", {"what": what, "key": str(key)})


def require_lead(ticket: Ticket, actor: Actor) -> None:
    """Unit staff act only on tickets whose lead unit is their own."""
    if actor.role == Role.UNIT and actor.unit_code != ticket.lead_unit_code:
        raise PermissionDenied(f"单位 {actor.unit_code} 不是本工单的主办单位，无权执行此操作")
