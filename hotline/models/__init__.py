"""The persistent model, one module per concept; imported here so metadata is complete."""

from hotline.models.outbox import Breach, OutboxMessage
from hotline.models.people import ApiKey, PersonalDataAccess, Requester, User
from hotline.models.reference import Area, Matter, Unit
from hotline.models.ticket import CLOCKS, Ticket, TicketAssignment, TicketEvent, TicketNumberCounter

__all__ = [
    "CLOCKS",
    "ApiKey",
    "Area",
    "Breach",
    "Matter",
    "OutboxMessage",
    "PersonalDataAccess",
    "Requester",
    "Ticket",
    "TicketAssignment",
    "TicketEvent",
    "TicketNumberCounter",
    "Unit",
    "User",
]
