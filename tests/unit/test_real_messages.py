"""Intake triage and matter classification on realistic citizen messages.

The set is tests/data/real_messages.csv; the assessment mirrors hotline.intake.assess with the
keyword rules built as hotline.routing_context builds them (demo leaves plus catalogue keywords).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from routing.classify import Classification, KeywordRules
from routing.glossary import TriageOutcome
from routing.tree import CodeTree, TreeNode
from routing.triage import TriageResult, TriageRules, triage

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = ROOT / "tests" / "data" / "real_messages.csv"
DEMO = ROOT / "hotline" / "demo" / "data"
# hotline/config.py: LEGAL_ROUTE_MATTER_ROOTS
LEGAL_ROUTE_ROOTS = ("19",)
# Measured 0.970 on this set, but its keywords were tuned on it: on 14 messages written after
# the tuning it was 11/14. The floor sits between, so a reworded keyword does not fail the suite.
MATTER_ACCURACY_FLOOR = 0.9
MIN_MESSAGES = 200

OUTCOMES = {"emergency", "referral", "not_accepted", "none"}
SERVICES = {"110", "119", "120", "122"}
ROUTES = {
    "litigation",
    "arbitration",
    "discipline",
    "reconsideration",
    "petition",
    "information_disclosure",
}


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    outcome: str
    service: str
    route: str
    matter: str


@dataclass(frozen=True, slots=True)
class Assessed:
    message: Message
    triaged: TriageResult
    classification: Classification

    @property
    def outcome(self) -> str:
        return self.triaged.outcome.value if self.triaged.outcome else "none"

    def describe(self) -> str:
        t = self.triaged
        return (
            f"{self.message.text!r}: expected {self.message.outcome}/{self.message.service}"
            f"/{self.message.route}/{self.message.matter}, got {self.outcome}/{t.service or ''}"
            f"/{t.route or ''}/{self.classification.matter_code or ''} (matched {t.matched!r})"
        )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def messages() -> tuple[Message, ...]:
    return tuple(
        Message(
            row["text"],
            row["expected_outcome"],
            row["expected_service"],
            row["expected_route"],
            row["expected_matter"],
        )
        for row in read_csv(MESSAGES)
    )


@cache
def matter_tree() -> CodeTree:
    return CodeTree(
        TreeNode(row["code"], row["name"], row["parent_code"] or None)
        for row in read_csv(DEMO / "matters.csv")
    )


@cache
def demo_leaves() -> tuple[tuple[tuple[str, str, str], ...], dict[str, tuple[str, ...]]]:
    """The demo's leaves (code, name, keywords) and its catalogue's keywords per matter, as the
    app reads them."""
    tree = matter_tree()
    keywords = {row["code"]: row["keywords"] for row in read_csv(DEMO / "matters.csv")}
    extra: dict[str, list[str]] = defaultdict(list)
    for entry in read_csv(DEMO / "catalogue.csv"):
        extra[entry["事项编码"]].extend(w for w in entry["关键词"].split("、") if w)
    leaves = tuple((code, tree.name(code), keywords.get(code, "")) for code in tree.leaves())
    return leaves, {code: tuple(words) for code, words in extra.items()}


@cache
def keyword_rules() -> KeywordRules:
    return KeywordRules.from_matters(*demo_leaves())


@cache
def legal_route_matters() -> frozenset[str]:
    tree = matter_tree()
    return frozenset(
        code
        for code in tree.leaves()
        if any(tree.descends_from(code, root) for root in LEGAL_ROUTE_ROOTS)
    )


@cache
def assessed() -> tuple[Assessed, ...]:
    """Each message as intake assesses it: triage, the matter, a legal-route matter re-triaged."""
    rules = TriageRules.load_default()
    legal = legal_route_matters()
    out: list[Assessed] = []
    for message in messages():
        triaged = triage(message.text, rules, None, legal)
        classification = keyword_rules().classify(message.text)
        out.append(Assessed(message, triaged, classification))
    return tuple(out)


def failures_report(failures: list[Assessed]) -> str:
    return "\n".join(a.describe() for a in failures)


def test_the_set_holds_enough_well_formed_messages_of_every_kind() -> None:
    rows = messages()
    assert len(rows) >= MIN_MESSAGES
    assert len({m.text for m in rows}) == len(rows)
    assert set(Counter(m.outcome for m in rows)) == OUTCOMES
    leaves = set(matter_tree().leaves())
    for m in rows:
        assert m.outcome in OUTCOMES, m
        assert (m.service in SERVICES) == (m.outcome == "emergency"), m
        assert (m.route in ROUTES) == (m.outcome == "referral"), m
        assert m.matter == "" or m.matter in leaves, m
    assert {m.service for m in rows if m.service} == SERVICES
    assert {m.route for m in rows if m.route} == ROUTES


def test_every_emergency_is_transferred_to_the_right_service() -> None:
    missed = [
        a
        for a in assessed()
        if a.message.outcome == "emergency"
        and (
            a.triaged.outcome is not TriageOutcome.EMERGENCY
            or a.triaged.service != a.message.service
        )
    ]
    assert not missed, "emergencies missed or sent to the wrong service:\n" + failures_report(
        missed
    )


def test_nothing_else_is_transferred_as_an_emergency() -> None:
    false_alarms = [
        a
        for a in assessed()
        if a.message.outcome != "emergency" and a.triaged.outcome is TriageOutcome.EMERGENCY
    ]
    assert not false_alarms, "false emergencies:\n" + failures_report(false_alarms)


def test_every_legal_route_is_referred_and_nothing_else_is() -> None:
    wrong = [
        a
        for a in assessed()
        if (a.message.outcome == "referral")
        != (a.triaged.outcome is TriageOutcome.REFERRAL and a.triaged.route == a.message.route)
    ]
    assert not wrong, "legal routes wrong:\n" + failures_report(wrong)


def test_every_referral_reads_out_its_routes_guidance() -> None:
    referred = [a for a in assessed() if a.triaged.outcome is TriageOutcome.REFERRAL]
    assert referred
    assert all(a.triaged.guidance_zh for a in referred)


def test_contacts_without_content_are_not_accepted_and_real_problems_are() -> None:
    wrong = [
        a
        for a in assessed()
        if (a.message.outcome == "not_accepted")
        != (a.triaged.outcome is TriageOutcome.NOT_ACCEPTED)
    ]
    assert not wrong, "not-accepted decisions wrong:\n" + failures_report(wrong)


def test_ordinary_appeals_go_on_to_dispatch() -> None:
    stopped = [a for a in assessed() if a.message.outcome == "none" and a.outcome != "none"]
    assert not stopped, "ordinary appeals stopped at triage:\n" + failures_report(stopped)


def test_the_matter_is_right_for_most_messages() -> None:
    labelled = [a for a in assessed() if a.message.matter]
    wrong = [a for a in labelled if a.classification.matter_code != a.message.matter]
    accuracy = 1 - len(wrong) / len(labelled)
    confusion = Counter((a.message.matter, a.classification.matter_code or "-") for a in wrong)
    print(f"\nmatter accuracy {accuracy:.3f} on {len(labelled)} labelled messages")
    for (gold, got), count in confusion.most_common():
        print(f"  expected {gold} got {got} x{count}")
    for a in wrong:
        print("  " + a.describe())
    assert accuracy >= MATTER_ACCURACY_FLOOR
