"""Emergency transfer on wording nobody wrote a rule for.

tests/data/emergency_wording.jsonl holds fourteen batches of citizen messages (600 dangers now,
655 near misses and ordinary appeals: complaints, questions, past and hypothetical events that use
the same words).
Each batch was written before the rules were next revised, and measured on arrival; those
first figures are what wording the rules have not seen gets. Recall with the right service:

    batch   rules before (e28ef40)   on arrival   after the batch's revision
    1       30/50                    39/50        50/50
    2        5/30                    10/30        30/30
    3       10/40                    20/40        40/40   (the second look, emergency_broad)
    4        9/40                    15/40        38/40
    5       14/40                    21/40        37/40
    6       12/40                    27/40        40/40
    7       13/40                    28/40        40/40   (agent summaries: 市民来电反映...)
    8       12/40                    26/40        40/40
    9       19/40                    30/40        40/40
    10      16/40                    31/40        40/40
    11      14/40                    20/40        40/40   (disasters, crowds, arson, poisoning)
    12      15/40                    30/40        39/40   (the third look, emergency_model.py)
    13      -                        72/80        76/80   (plain wording, addresses appended)
    14      -                        46/50        47/50   (written after all of the above)

So new wording is caught on arrival one time in two to three times in four (the last six
batches: 27, 28, 26, 30, 31 and 20 of 40), where it was about one time in three;
the floors below hold what the rules reach on the batches now, with some room.

Batch 12 was also read by the rules of the session's start with the emergency model trained
without it: 35/40, against 30/40 by those rules alone (3 false alarms of 40 by the rules, 4 with
the model). Its revision then fixed three false alarms (a hypothetical fire, a rumour's video,
giving way to an ambulance) and sent wrong-way driving on an expressway to 122.

Batch 13 (80 dangers in plain wording, a third with an address or phone appended, and 120 short
ordinary appeals) was written after a review found the model reading ordinary short statements
(有人在我家门口停车) as dangers; 400 such statements then joined its examples as ordinary. On
arrival: 72/80 to a right service with rules and model (rules alone: 66/80), and 2 of 120
ordinary appeals transferred, both by rules (none by the model; the model before the 400 made
it 4). Its revision: a scratch on a parked car yesterday and a car blocking a fire lane are past
or ordinary; the model learned the batch.

Batch 14 (50 dangers, 70 ordinary appeals) was written after every change of this round and read
on arrival by rules and model together: 46/50 to a right service, 49/50 transferred, and 4 of 70
ordinary appeals transferred, all four by the rules (the rules alone: 42/50, the same 4). Its
revision: a car that burned last night, "must it burn first?", "angry enough to kill" and
"no hot water comes out" are no emergency; the model learned the batch (47/50, none of 70).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from routing.glossary import TriageOutcome
from routing.triage import TriageResult, TriageRules, triage

MESSAGES = Path(__file__).resolve().parents[1] / "data" / "emergency_wording.jsonl"
RECALL_FLOOR = 0.95
FALSE_ALARMS_CEILING = 3


@dataclass(frozen=True, slots=True)
class Message:
    batch: int
    text: str
    emergency: bool
    services: tuple[str, ...]


@cache
def messages() -> tuple[Message, ...]:
    rows = [json.loads(line) for line in MESSAGES.read_text(encoding="utf-8").splitlines()]
    return tuple(
        Message(r["batch"], r["text"], r["emergency"], tuple(r["services"])) for r in rows if r
    )


@cache
def triaged(text: str) -> TriageResult:
    return triage(text, TriageRules.load_default())


def transferred_right(message: Message) -> bool:
    result = triaged(message.text)
    return result.outcome is TriageOutcome.EMERGENCY and result.service in message.services


def test_the_batches_are_large_and_every_danger_names_the_services_that_would_do() -> None:
    rows = messages()
    assert len(rows) >= 1250
    assert len({m.text for m in rows}) == len(rows)
    assert {m.batch for m in rows} == set(range(1, 15))
    for m in rows:
        assert bool(m.services) == m.emergency, m
        assert set(m.services) <= {"110", "119", "120", "122"}, m


@pytest.mark.parametrize("batch", range(1, 15))
def test_nearly_every_danger_of_a_batch_is_transferred_to_a_service_that_handles_it(
    batch: int,
) -> None:
    dangers = [m for m in messages() if m.batch == batch and m.emergency]
    missed = [m.text for m in dangers if not transferred_right(m)]
    assert 1 - len(missed) / len(dangers) >= RECALL_FLOOR, missed


def test_near_misses_are_almost_never_transferred() -> None:
    calm = [m for m in messages() if not m.emergency]
    alarms = [m.text for m in calm if triaged(m.text).outcome is TriageOutcome.EMERGENCY]
    assert len(alarms) <= FALSE_ALARMS_CEILING, alarms
