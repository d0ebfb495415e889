"""One recording is one ticket, whatever order its callbacks come in and whichever never come:
<Record>'s action (no RecordingSid, only the RecordingUrl ending with it), the recording status
callback, the transcription callback and the adoption job. A transcription after the adoption
is a note on the adopted ticket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import permutations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import InboundMessage, Ticket, TicketEvent
from hotline.phones import phone_key, sender_number
from hotline.webhooks.adoption import TRANSCRIPTION_WAIT, adopt_recordings, recording_sid_in
from hotline.webhooks.inbound import claim
from hotline.webhooks.voicemail import Voicemail, record_voicemail
from routing.workflow import TicketState
from tests.twilio_support import ACCOUNT_SID, post_signed
from tests.webhooks.test_voice import CALL_SID, CALLER, RECORDING_SID, RECORDING_URL, call
from tests.webhooks.test_voice_twilio_params import recording_status, transcription

TEXT = "我家小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快修复。"
LATER = TRANSCRIPTION_WAIT + timedelta(minutes=1)
WITHHELD = "anonymous"


def record_action(caller: str) -> dict[str, str]:
    """What Twilio posts to <Record>'s action: RecordingUrl, RecordingDuration and Digits, and
    no RecordingSid."""
    return call(
        From=caller,
        Caller=caller,
        CallStatus="completed",
        ApiVersion="2010-04-01",
        Direction="inbound",
        RecordingUrl=RECORDING_URL,
        RecordingDuration="42",
        Digits="#",
    )


Step = Callable[[FlaskClient, str], None]


def _action(client: FlaskClient, caller: str) -> None:
    assert (
        post_signed(client, "/webhooks/twilio/voice/recorded", record_action(caller)).status_code
        == 200
    )


def _status(client: FlaskClient, caller: str) -> None:
    assert (
        post_signed(client, "/webhooks/twilio/voice/recording", recording_status()).status_code
        == 200
    )


def _transcription(client: FlaskClient, caller: str) -> None:
    form = transcription(From=caller, Caller=caller, TranscriptionText=TEXT)
    assert post_signed(client, "/webhooks/twilio/voice/transcription", form).status_code == 200


def _after_the_wait() -> datetime:
    """When the job runs: a minute past the transcription wait after the call came in, by the
    call row's own created_at (the database's clock), not by this machine's."""
    came_in = db.session.scalar(
        select(InboundMessage.created_at).where(
            InboundMessage.sid == CALL_SID, InboundMessage.kind == "call"
        )
    )
    assert came_in is not None
    return came_in + LATER


def _adoption(client: FlaskClient, caller: str) -> None:
    adopt_recordings(db.session, now=_after_the_wait())


STEPS: dict[str, Step] = {
    "action": _action,
    "status": _status,
    "transcription": _transcription,
    "adoption": _adoption,
}
# Every order of every choice of the four, each of which may be missing, from a withheld caller
# ID (no requester, so nothing merges two tickets by phone); every order of all four from a caller
# ID. Only the job alone has no recording to work on.
CASES = [
    pytest.param(caller, order, id=f"{caller}-{'-'.join(order)}")
    for caller, sizes in ((WITHHELD, range(1, len(STEPS) + 1)), (CALLER, [len(STEPS)]))
    for size in sizes
    for order in permutations(STEPS, size)
    if order != ("adoption",)
]


def _ticket_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket)) or 0


def _notes(ticket: Ticket) -> list[str]:
    events = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "note")
    )
    return [event.payload["text"] for event in events]


def _leave_a_message(client: FlaskClient, caller: str) -> None:
    post_signed(client, "/webhooks/twilio/voice", call(From=caller, Caller=caller))
    post_signed(client, "/webhooks/twilio/voice/menu", call(From=caller, Caller=caller, Digits="1"))


def _the_one_new_ticket(before: int) -> Ticket:
    assert _ticket_count() == before + 1
    return db.session.scalars(select(Ticket).order_by(Ticket.id.desc()).limit(1)).one()


def _adopted_before_any_transcription(order: tuple[str, ...]) -> bool:
    """Whether a run of the job (one of the steps, or the run after them all) came after the
    recording was kept and before the transcription."""
    kept = [i for i, step in enumerate(order) if step in ("action", "status")]
    runs = [i for i, step in enumerate(order) if step == "adoption"] + [len(order)]
    heard = order.index("transcription") if "transcription" in order else len(order) + 1
    return bool(kept) and any(kept[0] < run < heard for run in runs)


@pytest.mark.parametrize(("caller", "order"), CASES)
def test_a_message_is_one_ticket_in_any_order_of_its_callbacks(
    twilio_app: Flask, caller: str, order: tuple[str, ...]
) -> None:
    client = twilio_app.test_client()
    before = _ticket_count()
    _leave_a_message(client, caller)

    for step in order:
        STEPS[step](client, caller)
    # And a later run of the job, after whatever callback came last.
    adopt_recordings(db.session, now=_after_the_wait())

    ticket = _the_one_new_ticket(before)
    assert ticket.external_id == RECORDING_SID
    assert ticket.requester_phone_key == phone_key(sender_number(caller))
    if _adopted_before_any_transcription(order):
        # Adopted for an agent to listen to; a transcription that came later is a note on it.
        assert ticket.state == TicketState.PENDING_DISPATCH
        assert "待转写" in ticket.text
        late = [f"电话留言转写（晚到）：{TEXT}"] if "transcription" in order else []
        assert _notes(ticket) == late
    else:
        assert ticket.text.startswith(TEXT)
        assert _notes(ticket) == []


@pytest.mark.parametrize("caller", [CALLER, WITHHELD, "+266696687"])
def test_the_audits_call_is_one_ticket_with_the_late_transcription_as_a_note(
    twilio_app: Flask, caller: str
) -> None:
    """The record action without RecordingSid, no recording status callback, the adoption after
    15 minutes, then the transcription (retried) with the RecordingSid: one ticket, waiting in
    the manual queue, with the transcription as a note."""
    client = twilio_app.test_client()
    before = _ticket_count()
    _leave_a_message(client, caller)
    _action(client, caller)
    assert adopt_recordings(db.session, now=_after_the_wait()) == 1
    _transcription(client, caller)
    _transcription(client, caller)

    ticket = _the_one_new_ticket(before)
    assert ticket.external_id == RECORDING_SID
    assert ticket.state == TicketState.PENDING_DISPATCH
    assert _notes(ticket) == [f"电话留言转写（晚到）：{TEXT}"]
    voicemails = db.session.scalars(
        select(InboundMessage.sid).where(InboundMessage.kind == "voicemail")
    ).all()
    assert voicemails == [RECORDING_SID]


def test_a_transcription_finds_a_message_adopted_under_its_call_before_the_recording_sid_was_known(
    twilio_app: Flask,
) -> None:
    """A message the previous release adopted under "CA...:voicemail" (it read no RecordingSid
    from the RecordingUrl) takes its late transcription as a note, and is not adopted again once
    the status callback brings the RecordingSid."""
    client = twilio_app.test_client()
    _leave_a_message(client, WITHHELD)
    call_row = db.session.scalars(
        select(InboundMessage).where(InboundMessage.sid == CALL_SID)
    ).one()
    call_row.payload = {"recording_url": RECORDING_URL, "recording_duration": "42"}
    row = claim(
        db.session,
        f"{CALL_SID}:voicemail",
        "voicemail",
        from_number=WITHHELD,
        to_number=None,
        body="",
        payload={"adopted": True, "call_sid": CALL_SID},
    )
    assert row is not None
    adopted = record_voicemail(
        db.session,
        Voicemail(
            call_sid=CALL_SID,
            recording_sid=None,
            caller=WITHHELD,
            transcription="",
            transcribed=False,
            recording_url=RECORDING_URL,
        ),
    )
    row.ticket_id = adopted.id
    db.session.commit()
    before = _ticket_count()

    _transcription(client, WITHHELD)
    _status(client, WITHHELD)
    assert adopt_recordings(db.session, now=_after_the_wait()) == 0

    assert _ticket_count() == before
    assert _notes(adopted) == [f"电话留言转写（晚到）：{TEXT}"]


def test_a_call_without_a_recording_leaves_nothing_to_adopt(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    before = _ticket_count()
    _leave_a_message(client, WITHHELD)

    assert adopt_recordings(db.session, now=_after_the_wait()) == 0
    assert _ticket_count() == before


@pytest.mark.parametrize(
    ("url", "sid"),
    [
        (RECORDING_URL, RECORDING_SID),
        (RECORDING_URL + ".mp3", RECORDING_SID),
        (RECORDING_URL + ".wav?Download=true", RECORDING_SID),
        (f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}", None),
        ("", None),
    ],
)
def test_the_recording_sid_is_read_from_the_end_of_a_recording_url(
    url: str, sid: str | None
) -> None:
    assert recording_sid_in(url) == sid
