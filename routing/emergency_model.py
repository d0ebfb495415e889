"""A learned second opinion on emergencies: which service, if any, a message reads as a call for.

Keyword rules recognise the wordings they were written for; people in danger use others ("手腕割了
血在喷", "有人顺着水管爬上来了"). This model weighs every character n-gram of the message at once,
learned from labelled examples (routing/data/emergency_examples.jsonl, retrained with
`flask triage train`), and is consulted only after the rules found nothing and only when the
message does not read as calm (triage.py decides both).

The arithmetic is that of a TF-IDF vectoriser (character 1–3-grams, sublinear term frequency,
smoothed idf, L2 norm damped for short messages) feeding a multinomial logistic regression, done
here in plain Python from the exported weights, so that serving needs no numerical library.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MODEL_PATH = Path(__file__).parent / "data" / "emergency_model.json"
DEFAULT_EXAMPLES_PATH = Path(__file__).parent / "data" / "emergency_examples.jsonl"
NOT_AN_EMERGENCY = "none"
EVIDENCE_GRAMS = 3
# Digits and Latin letters are not read: an address, a phone or a room number says nothing of
# danger, and only dilutes the words that do.
_NOT_READ = re.compile(r"[0-9a-z]+")


def model_text(normalised: str) -> str:
    """What the model reads of a normalised message, in training and in serving alike."""
    return _NOT_READ.sub("", normalised)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The model's reading: the most likely service and how likely any emergency is."""

    service: str
    probability: float
    # The n-grams of the message that pushed most towards `service`, strongest first.
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EmergencyModel:
    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    # n-gram -> (idf, weight per class in `classes` order)
    features: Mapping[str, tuple[float, tuple[float, ...]]]
    max_n: int
    trained_on: Mapping[str, Any]
    # Added to the squared norm before scaling: short messages read as less sure.
    damping: float = 0.0

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> EmergencyModel:
        classes = tuple(str(c) for c in d["classes"])
        if NOT_AN_EMERGENCY not in classes or len(classes) < 2:
            raise ValueError(f"an emergency model needs the class {NOT_AN_EMERGENCY!r} and others")
        intercepts = tuple(float(v) for v in d["intercepts"])
        features: dict[str, tuple[float, tuple[float, ...]]] = {}
        for gram, (idf, *weights) in d["features"].items():
            if len(weights) != len(classes):
                raise ValueError(f"feature {gram!r} has {len(weights)} weights, not {len(classes)}")
            features[gram] = (float(idf), tuple(float(w) for w in weights))
        if len(intercepts) != len(classes):
            raise ValueError("one intercept per class is needed")
        return cls(
            classes,
            intercepts,
            features,
            int(d.get("max_n", 3)),
            d.get("trained_on", {}),
            float(d.get("damping", 0.0)),
        )

    @classmethod
    def load(cls, path: Path) -> EmergencyModel:
        return cls.from_mapping(json.loads(path.read_text(encoding="utf-8")))

    def _vector(self, text: str) -> dict[str, float]:
        """The message's TF-IDF vector over the known n-grams, scaled to about unit length (the
        damping keeps a short message's vector shorter)."""
        text = model_text(text)
        counts = Counter(
            text[i : i + n] for n in range(1, self.max_n + 1) for i in range(len(text) - n + 1)
        )
        vector = {
            gram: (1.0 + math.log(count)) * self.features[gram][0]
            for gram, count in counts.items()
            if gram in self.features
        }
        norm = math.sqrt(sum(value * value for value in vector.values()) + self.damping)
        return {gram: value / norm for gram, value in vector.items()} if norm else {}

    def probabilities(self, text: str) -> dict[str, float]:
        """Each class's probability for `text`, which must be normalised as triage normalises."""
        return self._probabilities(self._vector(text))

    def _probabilities(self, vector: Mapping[str, float]) -> dict[str, float]:
        scores = list(self.intercepts)
        for gram, value in vector.items():
            for k, weight in enumerate(self.features[gram][1]):
                scores[k] += value * weight
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        total = sum(exps)
        return {name: e / total for name, e in zip(self.classes, exps, strict=True)}

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
