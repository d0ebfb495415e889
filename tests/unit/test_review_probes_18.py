"""Messages written around set 18's revision of the triage rules.

tests/data/review_probes_18.jsonl: 123 messages written while revising the rules after held-out
set 18 (tests/unit/test_heldout_messages_3_to_18.py), each with the outcome an agent would
choose. 53 change outcome against the rules before the revision: an injured stray animal is no
medical emergency (a dog that bites a person, a fall while walking the dog, a cat in a burning
flat still are); a person with dementia gone out and not back is a 110 emergency, one already
found is not; a lock being cut or prised now is a theft in progress, also after an earlier
question; children in a lift, asked to be freed by firefighters, go to 119; a junction's signals
all dead now with near collisions go to 122; a letter taken to the city or county over the
township is a petition; a foreign war, the weather, a pet's "crime", a stock tip and an advert
with a contact handle are refused. 70 are near misses that keep their outcome: a lift that often
breaks, a dead signal reported afterwards, complaints about spam texts and fake invoices, a
thank-you letter, a 市长信箱 follow-up.
"""

from __future__ import annotations

import pytest

from tests.unit.wording_data import jsonl, triage_agrees

PROBES = jsonl("review_probes_18.jsonl")


def test_the_probes_are_the_123_messages_the_revision_was_checked_on() -> None:
    assert len(PROBES) == 123
    assert len({row["text"] for row in PROBES}) == 123


@pytest.mark.parametrize("row", PROBES, ids=lambda row: row["text"][:24])
def test_each_probe_gets_the_outcome_an_agent_would_choose(row: dict[str, str]) -> None:
    assert triage_agrees(row)
