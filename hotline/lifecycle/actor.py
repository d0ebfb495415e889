"""Who takes an action: a console user, a unit's staff, an integration or the system."""

from __future__ import annotations

from dataclasses import dataclass

from routing.workflow import Role


@dataclass(frozen=True)
class Actor:
    role: Role
    name: str
    user_id: int | None = None
    unit_code: str | None = None

    @property
    def is_centre(self) -> bool:
        return self.role not in (Role.UNIT, Role.INTEGRATION)


SYSTEM = Actor(role=Role.SYSTEM, name="system")
