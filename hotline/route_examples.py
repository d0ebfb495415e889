"""The route model's examples (routing/data/route_examples.jsonl), built from labelled data.

Every labelled text of tests/data teaches one class: a legal route (the routes of
triage_rules.json), not_accepted, emergency (learned so that a danger is not read as a route;
triage never acts on it) or ordinary (dispatched); the review probes and written false alarms
(messages written around a revision, mostly near misses) among them. The ordinary appeals of
the emergency examples that tests/data does not hold (review probes, short appeals) join them.
A text met twice (normalised) keeps the label of the latest held-out set that holds it,
otherwise the first one read. Rebuilt with `flask triage route-examples`, trained with
`flask triage train --routes`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.triage import DEFAULT_RULES_PATH, TriageRules, normalise

DEFAULT_ROUTE_EXAMPLES_PATH = DEFAULT_RULES_PATH.parent / "route_examples.jsonl"
DEFAULT_ROUTE_MODEL_PATH = DEFAULT_RULES_PATH.parent / "route_model.json"
DEFAULT_EMERGENCY_EXAMPLES_PATH = DEFAULT_RULES_PATH.parent / "emergency_examples.jsonl"
ORDINARY, NOT_ACCEPTED, EMERGENCY = "ordinary", "not_accepted", "emergency"
# The catalogue's legal-route leaves (19.*) and the route each stands for.
MATTER_ROUTES = {
    "19.01.01": "litigation",
    "19.01.02": "arbitration",
    "19.02.01": "discipline",
    "19.02.02": "reconsideration",
    "19.02.03": "petition",
    "19.03.01": "information_disclosure",
}
# The emergency examples' sources that tests/data does not hold: all of them ordinary appeals.
EMERGENCY_EXAMPLE_SOURCES = ("review_probes", "ordinary_short")


def route_classes(rules: TriageRules | None = None) -> tuple[str, ...]:
    """The classes of the route model: the routes of the rules, then the other outcomes."""
    routes = (rules or TriageRules.load_default()).legal_routes
    return (*(r.route for r in routes), NOT_ACCEPTED, ORDINARY, EMERGENCY)


@dataclass(frozen=True, slots=True)
class LabelledText:
    text: str
    label: str
    source: str
    heldout: int = 0  # the held-out set's number; 0 for the other files


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            yield json.loads(line)


def _outcome_label(outcome: str, route: str) -> str:
    return {"emergency": EMERGENCY, "not_accepted": NOT_ACCEPTED, "referral": route}.get(
        outcome, ORDINARY
    )


def labelled_texts(data: Path, emergency_examples: Path) -> list[LabelledText]:
    """Every labelled text, in the order read (duplicates kept)."""
    items: list[LabelledText] = []
    for n in range(2, 100):
        path = data / f"heldout_messages_{n}.jsonl"
        if not path.exists():
            continue
        for r in _jsonl(path):
            outcome = r.get("outcome", r.get("expected_outcome", ""))
            route = r.get("route", r.get("expected_route", ""))
            items.append(LabelledText(r["text"], _outcome_label(outcome, route), path.stem, n))
    for r in _jsonl(data / "legal_route_wording.jsonl"):
        label = r["routes"][0] if r["referral"] else ORDINARY
        items.append(LabelledText(r["text"], label, "legal_route_wording"))
    for r in _jsonl(data / "contact_wording.jsonl"):
        label = ORDINARY if r["accepted"] else NOT_ACCEPTED
        items.append(LabelledText(r["text"], label, "contact_wording"))
    for path in sorted(data.glob("ordinary_probes*.jsonl")):
        items += [LabelledText(r["text"], ORDINARY, path.stem) for r in _jsonl(path)]
    # Messages written around a revision of the rules, each with the outcome an agent would
    # choose: mostly near misses, the model's hardest cases; and messages written for the model
    # (route_wording_*): refusals, referrals in plain words and the ordinary appeals beside them.
    for path in sorted(
        [
            *data.glob("review_probes_*.jsonl"),
            *data.glob("*_false_alarms.jsonl"),
            *data.glob("route_wording_*.jsonl"),
        ]
    ):
        for r in _jsonl(path):
            label = _outcome_label(r["outcome"], r["route"])
            items.append(LabelledText(r["text"], label, path.stem))
    # The pairs of the duplicate check: every text an appeal to dispatch, most of the second
    # texts the short follow-ups ("你们跟她们说了吗", "还是不热 你们啥时候再来人") that read
    # like a chat with the operator.
    for path in sorted(data.glob("duplicate_pairs_*.jsonl")):
        for r in _jsonl(path):
            items.append(LabelledText(r["first"], ORDINARY, path.stem))
            items.append(LabelledText(r["second"], ORDINARY, path.stem))
    for r in _jsonl(data / "threat_probes.jsonl"):
        label = _outcome_label(r["outcome"], r["route"])
        items.append(LabelledText(r["text"], label, "threat_probes"))
    for path in sorted(data.glob("matter_wording*.jsonl")):
        for r in _jsonl(path):
            label = MATTER_ROUTES.get(r["expected_matter"], ORDINARY)
            items.append(LabelledText(r["text"], label, path.stem))
    with (data / "real_messages.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            label = _outcome_label(r["expected_outcome"], r["expected_route"])
            items.append(LabelledText(r["text"], label, "real_messages"))
    with (data / "history_sample.csv").open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f)
        items += [LabelledText(r["诉求内容"], ORDINARY, "history_sample") for r in rows]
    for r in _jsonl(data / "emergency_wording.jsonl"):
        label = EMERGENCY if r["emergency"] else ORDINARY
        items.append(LabelledText(r["text"], label, "emergency_wording"))
    for r in _jsonl(emergency_examples):
        source = str(r["source"]).split("/")[0]
        if source in EMERGENCY_EXAMPLE_SOURCES:
            label = EMERGENCY if r["services"] else ORDINARY
            items.append(LabelledText(r["text"], label, f"emergency_examples/{source}"))
    return items


def route_examples(items: list[LabelledText]) -> list[LabelledText]:
    """One example per normalised text: the latest held-out set's label, else the first read;
    texts that normalise to nothing are left out. In the order read."""
    chosen: dict[str, LabelledText] = {}
    for item in items:
        key = normalise(item.text)
        if key and (key not in chosen or item.heldout > chosen[key].heldout):
            chosen[key] = item
    kept = {id(item) for item in chosen.values()}
    return [item for item in items if id(item) in kept]


def write_route_examples(examples: list[LabelledText], path: Path) -> None:
    lines = (
        json.dumps({"text": e.text, "label": e.label, "source": e.source}, ensure_ascii=False)
        for e in examples
    )
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
