"""The caller of a Twilio call in E.164 (+86 by default), or None when the number is withheld:
the same reading as an SMS sender's (hotline.phones.sender_number)."""

from __future__ import annotations

from hotline.phones import sender_number as caller_phone

__all__ = ["caller_phone"]
