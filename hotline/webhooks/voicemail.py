"""A caller's voice message becomes a phone ticket; an untranscribed one waits for an agent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from hotline import lifecycle
from hotline.channel_notes import transcribed_note, untranscribed_text
from hotline.clock import utcnow
from hotline.conversations import guess_appeal_type
from hotline.extensions import DbSession
from hotline.intake import Submission, submit
from hotline.lifecycle import Actor, Intake
from hotline.models import Requester, Ticket
from hotline.phones import phone_key, sender_number
from routing.glossary import AppealType, TriageOutcome, Urgency
from routing.workflow import Role

VOICE_ACTOR = Actor(role=Role.SYSTEM, name="twilio-voice")
UNTRANSCRIBED_REASON = "电话留言未能自动转写，待坐席听取录音后分类派单。"
# Twilio transcribes in English only: a Mandarin message comes back as English-looking noise.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def usable_transcript(status: str, text: str) -> bool:
    """A completed transcription with Chinese in it; anything else waits for an agent's ears
    (the machine's text is kept beside the recording, never taken as the appeal)."""
    return status == "completed" and _HAN.search(text) is not None


@dataclass(frozen=True)
class Voicemail:
    call_sid: str
    recording_sid: str | None
    caller: str | None
    transcription: str
    transcribed: bool
    recording_url: str

    @property
    def external_id(self) -> str:
        return self.recording_sid or self.call_sid


def record_voicemail(
    session: DbSession, voicemail: Voicemail, *, at: datetime | None = None
) -> Ticket:
    """Accept the message; flushes, never commits."""
    at = at or utcnow()
    phone = sender_number(voicemail.caller)
    if voicemail.transcribed:
        text = f"{voicemail.transcription.strip()}\n{transcribed_note(voicemail.recording_url)}"
        return submit(
            session,
            VOICE_ACTOR,
            Submission(
                channel="phone",
                text=text,
                appeal_type=guess_appeal_type(voicemail.transcription),
                requester_phone=phone,
                external_id=voicemail.external_id,
            ),
            at=at,
        ).ticket
    # Triage and the classifier cannot read audio: the ticket goes to the manual queue as is.
    requester = None
    if phone is not None:
        requester = Requester(phone=phone)
        session.add(requester)
        session.flush()
    return lifecycle.accept(
        session,
        VOICE_ACTOR,
        Intake(
            channel="phone",
            appeal_type=AppealType.OTHER,
            urgency=Urgency.NORMAL,
            text=untranscribed_text(voicemail.recording_url),
            title="电话留言（待转写）",
            external_id=voicemail.external_id,
            requester_phone_key=phone_key(phone),
        ),
        TriageOutcome.DISPATCH,
        reason=UNTRANSCRIBED_REASON,
        requester=requester,
        at=at,
        payload={
            "recording_url": voicemail.recording_url,
            "transcribed": False,
            "machine_transcript": voicemail.transcription.strip() or None,
        },
    )
