"""The check both learned models share: what the plain-Python model serves is what scikit-learn
learned from the same examples."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

from hotline.emergency_training import Example
from routing.ngram_model import NgramModel
from routing.triage import normalise


def assert_serves_what_scikit_learn_learns(
    examples: Sequence[Example], served: NgramModel, texts: Iterable[str]
) -> None:
    """Refit scikit-learn's vectoriser and regression as training does; each class probability
    the served model gives a text matches scikit-learn's within 1e-3."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from hotline import emergency_training

    vectoriser = TfidfVectorizer(
        analyzer="char",
        ngram_range=(1, emergency_training.MAX_N),
        sublinear_tf=True,
        min_df=emergency_training.MIN_DF,
        lowercase=False,
        norm=None,
    )
    matrix = emergency_training.damped(
        vectoriser.fit_transform([normalise(e.text) for e in examples])
    )
    reference = LogisticRegression(C=emergency_training.C, max_iter=5000, class_weight="balanced")
    reference.fit(matrix, [e.label for e in examples])
    for text in texts:
        vector = emergency_training.damped(vectoriser.transform([normalise(text)]))
        expected = reference.predict_proba(vector)[0]
        got = served.probabilities(normalise(text))
        for name, probability in zip(reference.classes_, expected, strict=True):
            assert got[name] == pytest.approx(probability, abs=1e-3)
