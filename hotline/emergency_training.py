"""Training the n-gram models of triage (routing/ngram_model.py) from labelled examples.

The emergency model (routing/emergency_model.py): each example is a JSON line `{"text": ...,
"services": ["120"]}`; an empty list means "not an emergency" (ordinary appeals, and near misses
that use the same words). The first service named is the class the example teaches.

The route model (legal-route referrals and refusals, asked by triage after every rule): each
example is a JSON line `{"text": ..., "label": "arbitration", "source": ...}` (route_examples.py
builds the file from the labelled test data).

Training needs scikit-learn (`pip install -e '.[train]'`); serving reads only the exported
weights.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.emergency_model import NOT_AN_EMERGENCY, EmergencyModel, model_text
from routing.ngram_model import NgramModel
from routing.triage import normalise

SERVICES = ("110", "119", "120", "122")
EMERGENCY_CLASSES = (NOT_AN_EMERGENCY, *SERVICES)
# Character 1–3-grams seen in at least two examples; a weakly regularised multinomial logistic
# regression, classes weighted by their size. Chosen by forward-chained validation on the
# wording batches (docs/benchmarks/triage.md).
MAX_N = 3
MIN_DF = 2
C = 10.0
# Added to each message's squared norm before scaling: a short message carries less evidence,
# and reads as less sure, where plain L2 scaling made 帮我找个女朋友 as sure as a long report.
DAMPING = 50.0
DECIMALS = 5
# The route model has twice the classes and twenty times the features: its weights are kept to
# four significant digits and those below 0.005 written as 0, which moves no probability on its
# examples by more than 0.001 and keeps the file under 3 MB.
ROUTE_SIGNIFICANT_DIGITS = 4
ROUTE_NEGLIGIBLE = 0.005


class TrainingError(ValueError):
    """Examples that cannot train a model; the message says which line and why."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str


def read_examples(path: Path) -> tuple[list[Example], str]:
    """The emergency examples of a JSON-lines file and the file's SHA-256."""

    def label(row: Any, where: str) -> str:
        services = row["services"]
        if not isinstance(services, list) or not all(
            isinstance(s, str) and s in SERVICES for s in services
        ):
            raise TrainingError(
                f"{where}: services must be a list drawn from {', '.join(SERVICES)}"
            )
        return services[0] if services else NOT_AN_EMERGENCY

    return _read(path, label, EMERGENCY_CLASSES)


def read_labelled_examples(path: Path, classes: Sequence[str]) -> tuple[list[Example], str]:
    """The examples `{"text", "label"}` of a JSON-lines file (each label one of `classes`, each
    class taught by some example) and the file's SHA-256."""

    def label(row: Any, where: str) -> str:
        value = row["label"]
        if value not in classes:
            raise TrainingError(f"{where}: the label must be one of {', '.join(classes)}")
        return str(value)

    return _read(path, label, tuple(classes))


def _read(
    path: Path, label_of: Callable[[Any, str], str], classes: tuple[str, ...]
) -> tuple[list[Example], str]:
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TrainingError(f"{path.name}: not UTF-8 ({error})") from error
    examples: list[Example] = []
    first_label: dict[str, tuple[int, str]] = {}
    # Lines end at "\n" only: JSON may carry U+2028 unescaped, which splitlines() would split.
    for number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            row = json.loads(line)
            text = row["text"]
            label = label_of(row, where)
        except (ValueError, KeyError, TypeError) as error:
            if isinstance(error, TrainingError):
                raise
            raise TrainingError(f"{where}: not an example ({error})") from error
        if not isinstance(text, str):
            raise TrainingError(f"{where}: the text must be a string")
        if not normalise(text):
            raise TrainingError(f"{where}: the text is empty")
        key = normalise(text)
        if key in first_label and first_label[key][1] != label:
            earlier, other = first_label[key]
            raise TrainingError(
                f"{where}: the same text as line {earlier} with another label "
                f"({label}, not {other})"
            )
        first_label.setdefault(key, (number, label))
        examples.append(Example(text, label))
    labels = Counter(e.label for e in examples)
    missing = [c for c in classes if not labels[c]]
    if missing:
        raise TrainingError(f"{path.name}: no example for {', '.join(missing)}")
    return examples, hashlib.sha256(raw).hexdigest()


def train(
    examples: list[Example],
    *,
    source: str = "",
    sha256: str = "",
    classes: Sequence[str] = EMERGENCY_CLASSES,
    significant_digits: int | None = None,
    negligible: float = 0.0,
) -> dict[str, Any]:
    """The model as routing.ngram_model.NgramModel.from_mapping reads it (and, with the
    default classes, routing.emergency_model.EmergencyModel).

    Weights are rounded to DECIMALS places, or, to keep a large model small, to
    `significant_digits` after each feature's weights are moved by their median (which changes
    no probability: every class's score moves by the same amount), those below `negligible`
    written as 0. Features are never left out: each one counts towards a message's length.
    """
    try:
        import numpy
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise TrainingError("training needs scikit-learn: pip install -e '.[train]'") from error

    vectoriser = TfidfVectorizer(
        analyzer="char",
        ngram_range=(1, MAX_N),
        sublinear_tf=True,
        min_df=MIN_DF,
        lowercase=False,  # normalise() has lower-cased and folded the text already
        norm=None,  # scaled below, damped
    )
    # What has no Chinese (an English message, a bare number) teaches the model nothing: it
    # reads none of it, and triage leaves such messages to the rules.
    read = [(model_text(normalise(e.text)), e.label) for e in examples]
    read = [(text, label) for text, label in read if text]
    unread = [c for c in classes if not any(label == c for _, label in read)]
    if unread:
        raise TrainingError(f"no example the model can read (in Chinese) for {', '.join(unread)}")
    matrix = damped(vectoriser.fit_transform([text for text, _ in read]))
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    model.fit(matrix, [label for _, label in read])

    def rounded(value: Any) -> float:
        if significant_digits is None:
            return round(float(value), DECIMALS)
        return float(f"{float(value):.{significant_digits}g}")

    def row(weights: Any) -> list[float]:
        if significant_digits is None:
            return [rounded(w) for w in weights]
        centred = weights - numpy.median(weights)
        return [0 if abs(w) < negligible else rounded(w) for w in centred]

    weights = model.coef_.T  # one row per feature, one column per class
    features = {
        gram: [rounded(vectoriser.idf_[i]), *row(weights[i])]
        for gram, i in sorted(vectoriser.vocabulary_.items())
    }
    settings: dict[str, Any] = {"min_df": MIN_DF, "C": C, "features": len(features)}
    if significant_digits is not None:
        settings |= {"significant_digits": significant_digits, "negligible": negligible}
    return {
        "classes": [str(c) for c in model.classes_],
        "intercepts": [rounded(v) for v in model.intercept_],
        "max_n": MAX_N,
        "damping": DAMPING,
        "trained_on": {
            "examples": len(examples),
            "not_read": len(examples) - len(read),
            "per_class": dict(sorted(Counter(label for _, label in read).items())),
            "source": source,
            "sha256": sha256,
            "settings": settings,
        },
        "features": features,
    }


def damped(matrix: Any) -> Any:
    """Each row (a message's TF-IDF vector) divided by sqrt(its squared norm + DAMPING)."""
    import numpy
    from scipy import sparse

    squares = numpy.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
    return sparse.diags(1.0 / numpy.sqrt(squares + DAMPING)) @ matrix


def write_model(
    model: dict[str, Any],
    path: Path,
    served_as: type[NgramModel] = EmergencyModel,
    *,
    compact: bool = False,
) -> None:
    """Written beside `path` and moved over it: a process reading the model meanwhile gets the
    old file or the new one, never half of one."""
    try:
        served_as.from_mapping(model)  # what would be served reads, before anything moves
    except (ValueError, KeyError, TypeError) as error:
        raise TrainingError(f"the trained model does not read back: {error}") from error
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        _write(model, partial, compact)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _write(model: dict[str, Any], path: Path, compact: bool = False) -> None:
    # One feature per line: a retrained model's diff shows what changed. Compact: no space
    # after the commas of a feature's numbers (a tenth of a large model's file).
    separators = (",", ":") if compact else None
    lines = [
        "{",
        f'  "classes": {json.dumps(model["classes"])},',
        f'  "intercepts": {json.dumps(model["intercepts"])},',
        f'  "max_n": {model["max_n"]},',
        f'  "damping": {model["damping"]},',
        f'  "trained_on": {json.dumps(model["trained_on"], ensure_ascii=False)},',
        '  "features": {',
    ]
    items = list(model["features"].items())
    for index, (gram, values) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        numbers = json.dumps(values, separators=separators)
        lines.append(f"    {json.dumps(gram, ensure_ascii=False)}: {numbers}{comma}")
    lines += ["  }", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
