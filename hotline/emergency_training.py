"""Training the emergency model (routing/emergency_model.py) from labelled examples.

Each example is a JSON line `{"text": ..., "services": ["120"]}`; an empty list means "not an
emergency" (ordinary appeals, and near misses that use the same words). The first service named
is the class the example teaches. Training needs scikit-learn (`pip install -e '.[train]'`);
serving reads only the exported weights.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.emergency_model import NOT_AN_EMERGENCY, EmergencyModel, model_text
from routing.triage import normalise

SERVICES = ("110", "119", "120", "122")
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


class TrainingError(ValueError):
    """Examples that cannot train a model; the message says which line and why."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str


def read_examples(path: Path) -> tuple[list[Example], str]:
    """The examples of a JSON-lines file and the file's SHA-256."""
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
        try:
            row = json.loads(line)
            text, services = row["text"], row["services"]
        except (ValueError, KeyError, TypeError) as error:
            raise TrainingError(f"{path.name}:{number}: not an example ({error})") from error
        if not isinstance(text, str):
            raise TrainingError(f"{path.name}:{number}: the text must be a string")
        if not normalise(text):
            raise TrainingError(f"{path.name}:{number}: the text is empty")
        if not isinstance(services, list) or not all(
            isinstance(s, str) and s in SERVICES for s in services
        ):
            raise TrainingError(
                f"{path.name}:{number}: services must be a list drawn from {', '.join(SERVICES)}"
            )
        label = services[0] if services else NOT_AN_EMERGENCY
        key = normalise(text)
        if key in first_label and first_label[key][1] != label:
            earlier, other = first_label[key]
            raise TrainingError(
                f"{path.name}:{number}: the same text as line {earlier} with another label "
                f"({label}, not {other})"
            )
        first_label.setdefault(key, (number, label))
        examples.append(Example(text, label))
    labels = Counter(e.label for e in examples)
    missing = [c for c in (NOT_AN_EMERGENCY, *SERVICES) if not labels[c]]
    if missing:
        raise TrainingError(f"{path.name}: no example for {', '.join(missing)}")
    return examples, hashlib.sha256(raw).hexdigest()


def train(examples: list[Example], *, source: str = "", sha256: str = "") -> dict[str, Any]:
    """The model as routing.emergency_model.EmergencyModel.from_mapping reads it."""
    try:
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
    unread = [c for c in (NOT_AN_EMERGENCY, *SERVICES) if not any(label == c for _, label in read)]
    if unread:
        raise TrainingError(f"no example the model can read (in Chinese) for {', '.join(unread)}")
    matrix = damped(vectoriser.fit_transform([text for text, _ in read]))
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    model.fit(matrix, [label for _, label in read])
    classes = [str(c) for c in model.classes_]
    weights = model.coef_.T  # one row per feature, one column per class
    features = {
        gram: [round(float(vectoriser.idf_[i]), DECIMALS)]
        + [round(float(w), DECIMALS) for w in weights[i]]
        for gram, i in sorted(vectoriser.vocabulary_.items())
    }
    return {
        "classes": classes,
        "intercepts": [round(float(v), DECIMALS) for v in model.intercept_],
        "max_n": MAX_N,
        "damping": DAMPING,
        "trained_on": {
            "examples": len(examples),
            "not_read": len(examples) - len(read),
            "per_class": dict(sorted(Counter(label for _, label in read).items())),
            "source": source,
            "sha256": sha256,
            "settings": {"min_df": MIN_DF, "C": C, "features": len(features)},
        },
        "features": features,
    }


def damped(matrix: Any) -> Any:
    """Each row (a message's TF-IDF vector) divided by sqrt(its squared norm + DAMPING)."""
    import numpy
    from scipy import sparse

    squares = numpy.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
    return sparse.diags(1.0 / numpy.sqrt(squares + DAMPING)) @ matrix


def write_model(model: dict[str, Any], path: Path) -> None:
    """Written beside `path` and moved over it: a process reading the model meanwhile gets the
    old file or the new one, never half of one."""
    try:
        EmergencyModel.from_mapping(model)  # what would be served reads, before anything moves
    except (ValueError, KeyError, TypeError) as error:
        raise TrainingError(f"the trained model does not read back: {error}") from error
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        _write(model, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _write(model: dict[str, Any], path: Path) -> None:
    # One feature per line: a retrained model's diff shows what changed.
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
        lines.append(f"    {json.dumps(gram, ensure_ascii=False)}: {json.dumps(values)}{comma}")
    lines += ["  }", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
