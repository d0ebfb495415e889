"""A learned second opinion on emergencies: which service, if any, a message reads as a call for.

Keyword rules recognise the wordings they were written for; people in danger use others ("手腕割了
血在喷", "有人顺着水管爬上来了"). This model weighs every character n-gram of the message at once,
learned from labelled examples (routing/data/emergency_examples.jsonl, retrained with
`flask triage train`), and is consulted only after the rules found nothing and only when the
message does not read as calm (triage.py decides both).

The arithmetic (TF-IDF over character n-grams feeding a multinomial logistic regression, in
plain Python) is routing/ngram_model.py's; this module adds what is particular to emergencies:
the class of no emergency, the probability of any, and the evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from routing.ngram_model import NgramModel, model_text

DEFAULT_MODEL_PATH = Path(__file__).parent / "data" / "emergency_model.json"
DEFAULT_EXAMPLES_PATH = Path(__file__).parent / "data" / "emergency_examples.jsonl"
NOT_AN_EMERGENCY = "none"
EVIDENCE_GRAMS = 3

__all__ = [
    "DEFAULT_EXAMPLES_PATH",
    "DEFAULT_MODEL_PATH",
    "EVIDENCE_GRAMS",
    "NOT_AN_EMERGENCY",
    "EmergencyModel",
    "Verdict",
    "model_text",
]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The model's reading: the most likely service and how likely any emergency is."""

    service: str
    probability: float
    # The n-grams of the message that pushed most towards `service`, strongest first.
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EmergencyModel(NgramModel):
    """An n-gram model whose classes are the services and NOT_AN_EMERGENCY."""

    @classmethod
    def check_classes(cls, classes: tuple[str, ...]) -> None:
        if NOT_AN_EMERGENCY not in classes or len(classes) < 2:
            raise ValueError(f"an emergency model needs the class {NOT_AN_EMERGENCY!r} and others")
        # Not super(): a slots dataclass is a new class, which zero-argument super() misses.
        NgramModel.check_classes(classes)

    def read(self, text: str, evidence_from: float = 0.0) -> Verdict:
        """The likeliest service, the probability of any emergency, and, when that
        probability reaches `evidence_from`, the evidence."""
        vector = self._vector(text)
        probabilities = self._probabilities(vector)
        service = max(
            (c for c in self.classes if c != NOT_AN_EMERGENCY), key=lambda c: probabilities[c]
        )
        probability = 1.0 - probabilities[NOT_AN_EMERGENCY]
        evidence = self._evidence(vector, service) if probability >= evidence_from else ()
        return Verdict(service, probability, evidence)

    def _evidence(self, vector: Mapping[str, float], service: str) -> tuple[str, ...]:
        """The n-grams that count most for `service` against no emergency; one that overlaps a
        gram already chosen (inside it, or holding it) adds nothing to read."""
        k, none = self.classes.index(service), self.classes.index(NOT_AN_EMERGENCY)
        contributions = sorted(
            (
                (value * (self.features[gram][1][k] - self.features[gram][1][none]), gram)
                for gram, value in vector.items()
            ),
            reverse=True,
        )
        chosen: list[str] = []
        for weight, gram in contributions:
            if weight <= 0 or len(chosen) == EVIDENCE_GRAMS:
                break
            if not any(gram in other or other in gram for other in chosen):
                chosen.append(gram)
        return tuple(chosen)
