"""The persistent model, one module per concept; imported here so metadata is complete."""

from hotline.models.catalogue import CatalogueEntryRecord, CatalogueVersion
from hotline.models.channels import (
    Conversation,
    IdempotencyRecord,
    InboundMessage,
    OfficialSchedule,
    SmsOptOut,
)
from hotline.models.console_sessions import ConsoleSession
from hotline.models.login_failures import LoginFailure
from hotline.models.outbox import Breach, OutboxMessage
from hotline.models.people import ApiKey, PersonalDataAccess, Requester, User
from hotline.models.reference import Area, Matter, Unit
from hotline.models.ticket import CLOCKS, Ticket, TicketAssignment, TicketEvent, TicketNumberCounter

# Integer primary keys are 32-bit on PostgreSQL: a larger id names no row, and would overflow
# the driver's parameter if it were looked up.
MAX_ROW_ID = 2**31 - 1

__all__ = [
    "CLOCKS",
    "MAX_ROW_ID",
    "ApiKey",
    "Area",
    "Breach",
    "CatalogueEntryRecord",
    "CatalogueVersion",
    "ConsoleSession",
    "Conversation",
    "IdempotencyRecord",
    "InboundMessage",
    "LoginFailure",
    "Matter",
    "OfficialSchedule",
    "OutboxMessage",
    "PersonalDataAccess",
    "Requester",
    "SmsOptOut",
    "Ticket",
    "TicketAssignment",
    "TicketEvent",
    "TicketNumberCounter",
    "Unit",
    "User",
]
