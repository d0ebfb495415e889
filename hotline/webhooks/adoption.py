"""Voicemails whose transcription never came: adopted as tickets waiting for an agent.

Twilio calls the transcription callback when a transcription completes or fails, but not for a
recording it will not transcribe (over two minutes), nor when the callback is lost on the way.
The recording is kept on its call (webhooks.voice.keep_recording); a periodic job turns every
such recording that has waited long enough into a ticket, so no message a caller left is lost.
A transcription that arrives after that is added to the ticket as a note.

A call leaves at most one message (every <Record> is followed by goodbye and a hangup), so its
callbacks, whichever come and in whatever order, meet on the call's row: each takes it with a
row lock, and the voicemail made of it is found by its RecordingSid (given, or read from
RecordingUrl, as <Record>'s action gives none), by the sid kept on the call, or by the CallSid.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from hotline import lifecycle
from hotline.clock import utcnow
from hotline.extensions import DbSession
from hotline.models import InboundMessage, Ticket
from hotline.transaction import commit
from hotline.webhooks.inbound import PROVIDER, claim
from hotline.webhooks.voicemail import VOICE_ACTOR, Voicemail, record_voicemail

log = logging.getLogger(__name__)

# A recording is at most two minutes and its transcription comes within minutes of the call.
TRANSCRIPTION_WAIT = timedelta(minutes=15)
# Older calls were looked at by earlier runs; a bound keeps each run's query small.
HORIZON = timedelta(days=3)


# .../Accounts/AC.../Recordings/RE... (the media is that URL with .mp3 or .wav appended).
_RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")


def voicemail_sid(call_sid: str, recording_sid: str | None) -> str:
    """The key of a call's voicemail row: its RecordingSid, or the CallSid marked as such."""
    return recording_sid or f"{call_sid}:voicemail"


def recording_sid_in(url: str | None) -> str | None:
    """The RecordingSid that a RecordingUrl ends with, if it does."""
    if not url:
        return None
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].split(".", 1)[0]
    return last if _RECORDING_SID.fullmatch(last) else None


def locked_call(session: DbSession, call_sid: str) -> InboundMessage | None:
    """The call's row, locked until the commit, so that its voicemail is made once however
    its callbacks and the adoption job interleave."""
    return session.scalars(
        select(InboundMessage)
        .where(
            InboundMessage.provider == PROVIDER,
            InboundMessage.sid == call_sid,
            InboundMessage.kind == "call",
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def find_voicemail(
    session: DbSession, call_sid: str, recording_sid: str | None, call: InboundMessage | None
) -> InboundMessage | None:
    """The call's voicemail row, under whichever key made it: the sid kept on the call, its
    RecordingSid, or the CallSid (a message adopted before its RecordingSid was known)."""
    payload: dict[str, Any] = (call.payload if call is not None else None) or {}
    keys = [
        payload.get("voicemail_sid"),
        recording_sid,
        payload.get("recording_sid"),
        recording_sid_in(payload.get("recording_url")),
        voicemail_sid(call_sid, None),
    ]
    return session.scalars(
        select(InboundMessage)
        .where(
            InboundMessage.provider == PROVIDER,
            InboundMessage.kind == "voicemail",
            InboundMessage.sid.in_({str(key) for key in keys if key}),
        )
        .order_by(InboundMessage.id)
    ).first()


def mark_voicemail(call: InboundMessage | None, sid: str) -> None:
    """Keep on the call the key of the voicemail made of it."""
    if call is not None:
        call.payload = dict(call.payload or {}) | {"voicemail_sid": sid}


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
    if call is None or not _unanswered(session, call):
        return 0
    # Looked at again under the call's lock, which a transcription arriving now waits for.
    call = locked_call(session, call.sid)
    if call is None or not _unanswered(session, call):
        session.rollback()
        return 0
    payload = call.payload or {}
    url = str(payload["recording_url"])
    recording_sid = payload.get("recording_sid") or recording_sid_in(url)
    sid = voicemail_sid(call.sid, recording_sid)
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
        session.rollback()
        return 0
    ticket = record_voicemail(
        session,
        Voicemail(
            call_sid=call.sid,
            recording_sid=recording_sid,
            caller=call.from_number,
            transcription="",
            transcribed=False,
            recording_url=url,
        ),
        # Accepted when the caller left it, not when the job noticed: clocks and statistics.
        at=call.created_at,
    )
    row.ticket_id = ticket.id
    row.outcome = f"ticket_{ticket.triage_outcome}"
    mark_voicemail(call, sid)
    commit()
    return 1


def _unanswered(session: DbSession, call: InboundMessage) -> bool:
    """A recording is kept on the call and no voicemail was made of it."""
    payload = call.payload or {}
    if not payload.get("recording_url") or payload.get("voicemail_sid"):
        return False
    recording_sid = payload.get("recording_sid") or recording_sid_in(payload["recording_url"])
    return find_voicemail(session, call.sid, recording_sid, call) is None


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
