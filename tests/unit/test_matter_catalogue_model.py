"""The catalogue model beside the keyword rules, on wording that neither had seen.

The demo city's classifier is the keyword rules helped by a naive Bayes model of the catalogue's
own words (each leaf's name and keywords) and of the labelled example appeals the demo ships
(hotline/demo/data/matter_examples.jsonl: batches 1-7 of matter_wording.jsonl, and the matters of
real_messages.csv and heldout_messages_2.jsonl, 803 appeals; with batches 8 to 13 since and 2,904
appeals written for it, 4,177).
How it was chosen, on batches each measured with the rules as they stood on its arrival and a
model trained only on what existed before it (docs/benchmarks/classification.md): batch 3
20/60 → 44/60, batch 4 23/40 → 33/40, batch 6 52/80 → 58/80, batch 7 53/80 → 59/80.

tests/data/matter_wording_8.jsonl (80 leaves drawn at random from the whole catalogue, the legal
routes left out, written by a writer who saw only the leaves' names) was measured once on arrival,
after the model was chosen: the rules alone 47/80 (lead unit 55/80, 3 unclassified), with the
model 53/80 (lead unit 60/80, the same 3 unclassified: the model does not decide alone, below).
Nothing was revised for it; a session later it joined the examples (883 appeals).

tests/data/matter_wording_9.jsonl (80 more leaves drawn at random, by another writer who saw only
their names; the three legal-route leaves it drew are triage's business and left out, 77 remain)
was measured once on arrival: the rules alone 43/77 (lead unit 53/77, 3 unclassified), with the
model 50/77 (58/77); with batch 8 among the examples 52/77 (59/77). Nothing was revised for it;
a session later it joined the examples (its 77 rows outside the legal routes: 960 appeals).

tests/data/matter_wording_10.jsonl (80 more leaves drawn at random, seed 20261128, by a writer
who saw only their paths; three legal-route leaves again, 77 remain) was measured once on
arrival: the rules alone 48/77 (lead unit 56/77), with the model 50/77 (58/77); with batch 9
among the examples 53/77 (59/77). Nothing was revised for it; a session later it joined the
examples (1,037 appeals).

tests/data/matter_wording_11.jsonl (80 more leaves drawn at random, seed 20261129, by a writer
who saw only their paths; four legal-route leaves, 76 remain) was measured once on arrival with
batch 10 already among the examples: the rules alone 40/76 (lead unit 49/76), with the model
45/76 (52/76); without batch 10 among the examples the same 45/76. For 22 of its 31 wrong
matters the right leaf is not among the rules' candidates at all (a heating pipe read as a leaking
roof, a ride-hailing driver as a taxi). Nothing was revised for it; a session later it joined
the examples (1,113 appeals).

tests/data/matter_wording_12.jsonl (80 more leaves drawn at random, seed 20261130, by a writer
who saw only their paths; no legal-route leaf this time) was measured once on arrival, with the
1,037 examples of the day: the rules alone 41/80 (lead unit 53/80), with the model 54/80
(59/80); with batch 11 among the examples 56/80 (63/80). Nothing was revised for it; a session
later it joined the examples (1,193 appeals).

tests/data/matter_wording_13.jsonl (80 leaves chosen by a writer who saw only the leaves' paths,
told to pass over the most obvious ones and to take siblings whose difference matters: 维修基金
beside 物业交接 and 业委会, 养老保险转移 beside 医保转移接续; no legal-route leaf) was measured
once on arrival, with the 1,113 examples of the day: the rules alone 45/80 (lead unit 52/80), with
the model 53/80 (60/80); with batch 12 among the examples 54/80 (61/80). Nothing was revised for
it; a session later it joined the examples.

tests/data/matter_wording_14.jsonl (80 leaves drawn at random, seed 1414, by a writer who saw the
whole list of leaves' paths, asked to write each appeal so that no sibling fits; no legal-route
leaf) was measured once on arrival, with the 1,193 examples of the day: the rules alone 54/80
(lead unit 61/80), with the model 61/80 (66/80). Then three writers who saw only the leaves'
paths and none of the batches wrote six example appeals for each of the 242 leaves outside the
legal routes (two agents' summaries, two citizens' texts, two web forms or transcribed speech):
with those 1,452 and batch 13 among the examples (2,725), batch 14 gave 68/80 (70/80). Batch 13,
measured the same way before it joined: 54/80 (61/80) → 61/80 (66/80).

tests/data/matter_wording_15.jsonl (80 more leaves drawn at random, seed 1515, none of batch 14's,
by another writer told to mix agents' summaries, short texts, long transcribed calls and portal
forms) arrived then and was measured once, with those 2,725 examples: the rules alone 57/80 (lead
unit 66/80), with the model 76/80 (78/80); with the 1,193 examples of the session's start it would
have been 68/80 (72/80).

Three more writers then wrote six more for each leaf, harder ones (elderly callers' long speech
in dialect, 8-20 character symptoms, appeals that name a neighbouring matter in passing): with
those (4,177 examples) batch 14 gives 69/80 (71/80) and batch 15 78/80 (79/80). Batches 14 and 15
are kept out of the examples and nothing was revised for them, so they are now the measure of
wording the product has not seen.

tests/data/matter_wording_16.jsonl (80 more leaves drawn at random, seed 1716, by a writer at the
start of session 17 who saw only the leaves' paths, told to describe the situation rather than
name the category, early winter, every channel) was measured once on arrival with the 4,177
examples: the rules alone 40/80 (lead unit 53/80), with the model 60/80 (69/80). Lower than
batch 15: most of its misses tell two problems or a neighbouring one (a park's unleashed dogs
and its dance music read as noise, a flat's partition wall knocked down read as decoration
noise, a resident's permit asked of the police read as a property sale). Kept out like 14 and 15.

Where no keyword matched, the model was first allowed to decide alone when 0.5 sure (54/80, lead
unit 61/80 on batch 8), until texts that name no matter at all read as sure (今天天气不错 0.80 for
noise, 喂你好我想咨询一下 0.94): those tickets go to the manual dispatch queue with the model's
candidates, as before.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache

import pytest

from hotline.routing_context import catalogue_model
from routing.classify import Classifier
from tests.unit.test_matter_wording import lead_unit, messages
from tests.unit.test_real_messages import DEMO, demo_leaves, keyword_rules, matter_tree
from tests.unit.wording_data import jsonl

# Batches kept out of the examples: (rules alone, with the model), each (matter, lead unit) of
# its 80 rows (none under the legal routes).
HELD_OUT = {
    "matter_wording_14.jsonl": ((54, 61), (69, 71)),
    "matter_wording_15.jsonl": ((57, 66), (78, 79)),
    "matter_wording_16.jsonl": ((40, 53), (60, 69)),
}
# Batches measured once on arrival and then joined to the demo's examples.
JOINED = (
    "matter_wording_8.jsonl",
    "matter_wording_9.jsonl",
    "matter_wording_10.jsonl",
    "matter_wording_11.jsonl",
    "matter_wording_12.jsonl",
    "matter_wording_13.jsonl",
)


@cache
def examples() -> tuple[tuple[str, str], ...]:
    lines = (DEMO / "matter_examples.jsonl").read_text(encoding="utf-8").splitlines()
    return tuple((row["text"], row["matter_code"]) for row in map(json.loads, lines))


@cache
def classifiers() -> tuple[Classifier, Classifier]:
    """The rules alone, and the rules with the catalogue model, built as the app builds them."""
    assist = catalogue_model(*demo_leaves(), examples())
    return (
        Classifier(None, keyword_rules(), threshold=0.6),
        Classifier(None, keyword_rules(), threshold=0.6, assist=assist),
    )


def held_out(name: str) -> list[dict[str, str]]:
    return [r for r in jsonl(name) if not r["expected_matter"].startswith("19")]


def scores(classifier: Classifier, name: str) -> tuple[int, int]:
    rows = held_out(name)
    got = [classifier.classify(row["text"]).matter_code for row in rows]
    matter = sum(g == row["expected_matter"] for g, row in zip(got, rows, strict=True))
    lead = sum(
        lead_unit(g) == lead_unit(row["expected_matter"]) for g, row in zip(got, rows, strict=True)
    )
    return matter, lead


def test_each_later_batch_is_eighty_different_leaves_of_the_catalogue() -> None:
    leaves = set(matter_tree().leaves())
    for name in (*JOINED, *HELD_OUT):
        rows = jsonl(name)
        assert len(rows) == 80
        assert len({row["expected_matter"] for row in rows}) == 80
        assert all(r["expected_matter"] in leaves for r in rows)
    for name in HELD_OUT:
        assert len(held_out(name)) == 80


def test_the_examples_are_demo_leaves_holding_batches_8_to_13_and_nothing_held_out() -> None:
    leaves = set(matter_tree().leaves())
    assert len(examples()) == 4177
    assert all(code in leaves for _, code in examples())
    texts = {text for text, _ in examples()}
    for name in JOINED:
        batch = jsonl(name)
        assert {r["text"] for r in batch if not r["expected_matter"].startswith("19")} <= texts
    for name in HELD_OUT:
        assert not texts & {row["text"] for row in jsonl(name)}
    assert {m.text for m in messages()} <= texts


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_the_rules_alone_hold_what_they_measured_on_each_held_out_batch(name: str) -> None:
    matter, lead = scores(classifiers()[0], name)
    least = HELD_OUT[name][0]
    assert matter >= least[0]
    assert lead >= least[1]


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_the_catalogue_model_adds_right_matters_and_right_units_on_each_held_out_batch(
    name: str,
) -> None:
    rules, with_model = (scores(c, name) for c in classifiers())
    least = HELD_OUT[name][1]
    assert with_model[0] >= least[0] > rules[0]
    assert with_model[1] >= least[1] > rules[1]


def test_every_leaf_outside_the_legal_routes_has_at_least_twelve_examples() -> None:
    counts = Counter(code for _, code in examples())
    outside = [code for code in matter_tree().leaves() if not code.startswith("19")]
    assert len(outside) == 242
    assert [code for code in outside if counts[code] < 12] == []
