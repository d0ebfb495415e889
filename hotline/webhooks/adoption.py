"""Voicemails whose transcription never came: adopted as tickets waiting for an agent.

Twilio calls the transcription callback when a transcription completes or fails, but not for a
recording it will not transcribe (over two minutes), nor when the callback is lost on the way.
The recording is kept on its call (webhooks.voice.keep_recording); a periodic job turns every
such recording that has waited long enough into a ticket, so no message a caller left is lost.
A transcription that arrives after that is added to the ticket as a note.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from hotline import lifecycle
from hotline.clock import utcnow
from hotline.extensions import DbSession
from hotline.models import InboundMessage, Ticket
from hotline.transaction import commit
from hotline.webhooks.inbound import PROVIDER, claim, find
from hotline.webhooks.voicemail import VOICE_ACTOR, Voicemail, record_voicemail

log = logging.getLogger(__name__)

# A recording is at most two minutes and its transcription comes within minutes of the call.
TRANSCRIPTION_WAIT = timedelta(minutes=15)
# Older calls were looked at by earlier runs; a bound keeps each run's query small.
HORIZON = timedelta(days=3)


def voicemail_sid(call_sid: str, recording_sid: str | None) -> str:
    """The key of a call's voicemail row: its RecordingSid, or the CallSid marked as such."""
    return recording_sid or f"{call_sid}:voicemail"


def adopt_recordings(
    session: DbSession, *, now: datetime | None = None, wait: timedelta = TRANSCRIPTION_WAIT
) -> int:
    """Make a ticket of every kept recording that no transcription turned into one in `wait`;
    one commit per recording. Returns how many were adopted."""
    now = now or utcnow()
    calls = session.scalars(
        select(InboundMessage)
        .where(
            InboundMessage.provider == PROVIDER,
            InboundMessage.kind == "call",
            InboundMessage.created_at <= now - wait,
            InboundMessage.created_at >= now - HORIZON,
        )
        .order_by(InboundMessage.id)
    ).all()
    adopted = 0
    for call_id in [call.id for call in calls]:
        try:
            adopted += _adopt(session, call_id)
        except Exception:
            # One recording that cannot be turned into a ticket must not hold up the others:
            # it is logged, left as it is, and tried again on the next run.
            session.rollback()
            log.exception("voicemail of inbound message %s could not be adopted", call_id)
    return adopted


def _adopt(session: DbSession, call_id: int) -> int:
    call = session.get(InboundMessage, call_id)
    if call is None:
        return 0
    payload = call.payload or {}
    url = payload.get("recording_url")
    if not url:
        return 0
    recording_sid = payload.get("recording_sid") or None
    sid = voicemail_sid(call.sid, recording_sid)
    if find(session, sid) is not None:
        return 0
    row = claim(
        session,
        sid,
        "voicemail",
        from_number=call.from_number,
        to_number=call.to_number,
        body="",
        payload={"adopted": True, "call_sid": call.sid},
    )
    if row is None:  # the transcription came in the meantime
        return 0
    ticket = record_voicemail(
        session,
        Voicemail(
            call_sid=call.sid,
            recording_sid=recording_sid,
            caller=call.from_number,
            transcription="",
            transcribed=False,
            recording_url=str(url),
        ),
        # Accepted when the caller left it, not when the job noticed: clocks and statistics.
        at=call.created_at,
    )
    row.ticket_id = ticket.id
    row.outcome = f"ticket_{ticket.triage_outcome}"
    commit()
    return 1


def add_late_transcription(session: DbSession, row: InboundMessage, text: str) -> bool:
    """A transcription for a voicemail already adopted: a note on its ticket, once."""
    payload = row.payload or {}
    if not payload.get("adopted") or payload.get("transcription_added") or row.ticket_id is None:
        return False
    ticket = session.get(Ticket, row.ticket_id)
    if ticket is None:
        return False
    lifecycle.add_note(
        session,
        ticket,
        VOICE_ACTOR,
        f"电话留言转写（晚到）：{text.strip()}",
        payload={"late": True},
    )
    row.payload = payload | {"transcription_added": True}
    commit()
    return True
