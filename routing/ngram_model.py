"""A text classifier over character n-grams, served in plain Python from exported weights.

The arithmetic is that of a TF-IDF vectoriser (character 1–n-grams, sublinear term frequency,
smoothed idf, L2 norm damped for short messages) feeding a multinomial logistic regression
(trained by hotline/emergency_training.py), so that serving needs no numerical library. The
classes are whatever the model was trained on: the emergency model (emergency_model.py) and the
route model of triage (legal routes and refusals) are both read by it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

# Digits and Latin letters are not read: an address, a phone or a room number says nothing of
# what a message is about, and only dilutes the words that do.
_NOT_READ = re.compile(r"[0-9a-z]+")


def model_text(normalised: str) -> str:
    """What a model reads of a normalised message, in training and in serving alike."""
    return _NOT_READ.sub("", normalised)


@dataclass(frozen=True, slots=True)
class NgramModel:
    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    # n-gram -> (idf, weight per class in `classes` order)
    features: Mapping[str, tuple[float, tuple[float, ...]]]
    max_n: int
    trained_on: Mapping[str, Any]
    # Added to the squared norm before scaling: short messages read as less sure.
    damping: float = 0.0

    @classmethod
    def check_classes(cls, classes: tuple[str, ...]) -> None:
        """Refuses classes the model cannot serve (ValueError)."""
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise ValueError(f"a model needs two or more distinct classes, not {classes!r}")

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> Self:
        classes = tuple(str(c) for c in d["classes"])
        cls.check_classes(classes)
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
    def load(cls, path: Path) -> Self:
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
