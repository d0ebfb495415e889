"""Matter classification (事项分类): naive Bayes model, keyword rules, and which one decides."""

from __future__ import annotations

import heapq
import json
import math
import random
import re
import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from routing import segment
from routing.fold import fold as fold_text

# "combined": the keyword rules' candidates weighed together with the catalogue model's.
Method = Literal["model", "rules", "combined", "agent", "none"]

MODEL_FORMAT = "hotline.matter-naive-bayes"
MODEL_FORMAT_VERSION = 1

_KEYWORD_SEPARATORS = re.compile(r"[、,，;；/|\s]+")
# Characters kept for bigrams: CJK ideographs, Latin letters and digits.
_NOT_WORD_CHAR = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_TOP = 3
# A keyword's weight grows with its length to this power: a longer keyword is more specific, but
# squared lengths let any three-character object or place word (人行道, 卫生间, 取暖费) outweigh
# the two-character problem words (井盖, 漏水, 不热) that say what the appeal is about.
_LENGTH_POWER = 1.5
# How much the catalogue model (names, keywords and labelled example appeals) counts beside the
# keyword rules. Chosen on batches of new wording, each model trained only on what existed before
# the batch and the rules as they stood on its arrival (docs/benchmarks/classification.md):
# weights 0.15-0.35 all helped.
ASSIST_WEIGHT = 0.25


@dataclass(frozen=True, slots=True)
class Classification:
    """The matter chosen for an appeal text, how sure we are, and who decided."""

    matter_code: str | None
    confidence: float
    method: Method
    candidates: tuple[tuple[str, float], ...] = ()


NO_MATTER = Classification(None, 0.0, "none", ())


def matter_outside(classification: Classification, excluded: Collection[str]) -> str | None:
    """The classified matter, or, where it is one of `excluded` (the legal-route matters a
    classifier reads from one word: 仲裁, 信访), its best candidate that is not; else None."""
    if classification.matter_code not in excluded:
        return classification.matter_code
    return next((code for code, _ in classification.candidates if code not in excluded), None)


def _split_keywords(keywords: str | Sequence[str]) -> list[str]:
    parts = _KEYWORD_SEPARATORS.split(keywords) if isinstance(keywords, str) else list(keywords)
    return [p.strip().lower() for p in parts if p and p.strip()]


# Colloquial speech splits a keyword with an aspect particle, a measure word or an intensifier:
# 挂个号 (挂号), 停了电 (停电), 作业太多 (作业多), 水压特别低 (水压低). None of these changes
# what the keyword says, unlike a negation, so a keyword split by one of them still matches.
_INFIX_TEXT = (
    "了 个 过 着 太 很 好 超 特别 非常 贼 巨 老 都 也 又 还 一直 经常 总是 老是 "
    "了个 了一个 了好 得很 得太 得不行"
)
_INFIXES_BY_FIRST: dict[str, tuple[str, ...]] = {
    first: tuple(sorted((w for w in _INFIX_TEXT.split() if w[0] == first), key=len, reverse=True))
    for first in {w[0] for w in _INFIX_TEXT.split()}
}


def _split_match_end(text: str, start: int, keyword: str) -> int:
    """Where `keyword` ends when it occurs at `start` split once by an infix, else 0."""
    for cut in range(1, len(keyword)):
        middle = start + cut
        if not text.startswith(keyword[:cut], start):
            return 0
        for infix in _INFIXES_BY_FIRST.get(text[middle : middle + 1], ()):
            rest = middle + len(infix)
            if text.startswith(infix, middle) and text.startswith(keyword[cut:], rest):
                return rest + len(keyword) - cut
    return 0


@dataclass(frozen=True, slots=True)
class _Keyword:
    text: str
    # Weight of a hit per leaf: longer keywords are more specific, keywords shared by several
    # leaves say less about each of them.
    weights: tuple[tuple[str, float], ...]


@dataclass(slots=True)
class KeywordRules:
    """Keyword matching over leaf matters: the fallback when no model is trained or it is unsure."""

    keywords: dict[str, _Keyword]
    by_first_char: dict[str, tuple[_Keyword, ...]]
    # A prior score added to the denominator so that one short hit is not a confident answer.
    smoothing: float = 4.0

    @classmethod
    def from_matters(
        cls,
        matters: Iterable[tuple[str, str, str | Sequence[str]]],
        extra_keywords: Mapping[str, Sequence[str]] | None = None,
        *,
        name_weight: float = 0.5,
    ) -> KeywordRules:
        """Rules from leaf matters (code, name, keywords); extra keywords come from the catalogue.

        A matter's own name counts in full; the words of its name count `name_weight` as much,
        because a name word such as 噪音 is shared by several leaves.
        """
        leaf_weights: dict[str, dict[str, float]] = defaultdict(dict)

        def put(word: str, code: str, factor: float) -> None:
            word = word.strip().lower()
            if not word:
                return
            weight = factor * len(word) ** _LENGTH_POWER
            leaf_weights[word][code] = max(leaf_weights[word].get(code, 0.0), weight)

        for code, name, keywords in matters:
            for word in _split_keywords(keywords):
                put(word, code, 1.0)
            for word in (extra_keywords or {}).get(code, ()):
                put(word, code, 1.0)
            put(name, code, 1.0)
            for word in segment.search_tokens(name):
                if len(word) >= 2 and word != name.lower():
                    put(word, code, name_weight)
        table: dict[str, _Keyword] = {}
        for word, per_leaf in leaf_weights.items():
            share = len(per_leaf)
            table[word] = _Keyword(
                word, tuple((code, w / share) for code, w in sorted(per_leaf.items()))
            )
        index: dict[str, list[_Keyword]] = defaultdict(list)
        for kw in table.values():
            index[kw.text[0]].append(kw)
        return cls(
            keywords=table,
            by_first_char={
                c: tuple(sorted(kws, key=lambda k: -len(k.text))) for c, kws in index.items()
            },
        )

    def scores(self, text: str) -> dict[str, float]:
        """Keyword score per leaf; a hit inside a longer hit for the same leaf counts once."""
        text = fold_text(text).lower()
        hits: list[tuple[int, int, _Keyword]] = []
        seen: set[str] = set()
        for i, char in enumerate(text):
            keywords = self.by_first_char.get(char)
            if not keywords:
                continue
            following = text[i + 1 : i + 2]
            infix_follows = following in _INFIXES_BY_FIRST
            for kw in keywords:
                if kw.text in seen:
                    continue
                if text.startswith(kw.text, i):
                    end = i + len(kw.text)
                elif len(kw.text) > 1 and (infix_follows or kw.text[1] == following):
                    end = _split_match_end(text, i, kw.text)
                    if not end:
                        continue
                else:
                    continue
                seen.add(kw.text)
                hits.append((i, end, kw))
        per_leaf: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
        for start, end, kw in hits:
            for code, weight in kw.weights:
                per_leaf[code].append((start, end, weight))
        scores: dict[str, float] = {}
        for code, spans in per_leaf.items():
            spans.sort(key=lambda s: (s[0] - s[1], s[0]))  # longest first
            kept: list[tuple[int, int]] = []
            total = 0.0
            for start, end, weight in spans:
                if any(ks <= start and end <= ke for ks, ke in kept):
                    continue
                kept.append((start, end))
                total += weight
            scores[code] = total
        return scores

    def classify(self, text: str) -> Classification:
        """The best-scoring leaf, confidence from its margin over the runner-up."""
        scores = self.scores(text)
        if not scores:
            return NO_MATTER
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        denominator = sum(scores.values()) + self.smoothing
        candidates = tuple((code, round(s / denominator, 4)) for code, s in ranked[:_TOP])
        best_code, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        confidence = best / (best + runner_up + self.smoothing)
        return Classification(best_code, round(confidence, 4), "rules", candidates)


def compact_chunks(text: str) -> list[str]:
    """Lower-cased, folded runs of ideographs, letters and digits; punctuation and spaces split
    runs."""
    return _NOT_WORD_CHAR.sub(" ", fold_text(text).lower()).split()


@dataclass(frozen=True, slots=True)
class WordMatcher:
    """Finds the known words inside a text by dictionary look-up, with no segmenter at all.

    The model learns its words from jieba at training time; predicting then only looks up
    substrings, which costs a tenth of running jieba on the text (see the benchmark).
    """

    words: frozenset[str]
    prefixes: frozenset[str]
    longest: int

    @classmethod
    def of(cls, words: Iterable[str]) -> WordMatcher:
        known = frozenset(w for w in words if w)
        prefixes = frozenset(w[:end] for w in known for end in range(1, len(w) + 1))
        return cls(known, prefixes, max((len(w) for w in known), default=0))

    def find(self, chunks: Sequence[str]) -> list[str]:
        """Every known word occurring in the chunks, overlaps included (like jieba's full mode)."""
        found: list[str] = []
        for chunk in chunks:
            size = len(chunk)
            for start in range(size):
                for end in range(start + 1, min(size, start + self.longest) + 1):
                    piece = chunk[start:end]
                    if piece not in self.prefixes:
                        break
                    if piece in self.words:
                        found.append(piece)
        return found


def features(text: str, words: WordMatcher) -> list[str]:
    """Model features: known words, plus character bigrams so an unknown word still counts."""
    chunks = compact_chunks(text)
    bigrams = ["#" + chunk[i : i + 2] for chunk in chunks for i in range(len(chunk) - 1)]
    return words.find(chunks) + bigrams


# Per-label log-probability corrections are packed as fixed-point lanes of one big integer
# per feature, so summing a text's features is a handful of C-level big-integer additions
# instead of (features × labels) Python float additions. Corrections are never negative.
_LANE_BITS = 64
_LANE_SCALE = float(1 << 24)
_LANE_TYPE = "Q"


@dataclass(slots=True)
class NaiveBayesModel:
    """Multinomial naive Bayes over words and character bigrams, in plain Python.

    log P(f | c) = unseen(c) + log1p(n(f, c) / alpha): every label has one log-probability
    for a feature it never saw, and each feature adds its non-negative correction per label.
    The corrections are precomputed at load time, packed for fast summing (see _LANE_BITS).
    """

    labels: tuple[str, ...]
    doc_counts: tuple[int, ...]
    feature_counts: dict[str, dict[int, int]]
    alpha: float = 0.5
    metadata: dict[str, Any] = field(default_factory=dict)
    _log_prior: list[float] = field(init=False, repr=False)
    _log_unseen: list[float] = field(init=False, repr=False)
    _packed: dict[str, int] = field(init=False, repr=False)
    _words: WordMatcher = field(init=False, repr=False)

    def __post_init__(self) -> None:
        vocabulary = len(self.feature_counts)
        totals = [0] * len(self.labels)
        for per_label in self.feature_counts.values():
            for index, count in per_label.items():
                totals[index] += count
        documents = sum(self.doc_counts)
        self._log_prior = [math.log(n / documents) if n else -math.inf for n in self.doc_counts]
        self._log_unseen = [
            math.log(self.alpha / (total + self.alpha * vocabulary)) for total in totals
        ]
        self._packed = {
            feature: sum(
                round(math.log1p(count / self.alpha) * _LANE_SCALE) << (index * _LANE_BITS)
                for index, count in per_label.items()
            )
            for feature, per_label in self.feature_counts.items()
        }
        self._words = WordMatcher.of(f for f in self.feature_counts if not f.startswith("#"))

    @classmethod
    def train(
        cls,
        rows: Iterable[tuple[str, str]],
        *,
        alpha: float = 0.5,
        created_at: datetime | None = None,
    ) -> NaiveBayesModel:
        """Fit on (text, matter code) rows; `created_at` is recorded in the model file.

        The words come from jieba over the training texts; features of every text, in
        training and in prediction alike, are then found by dictionary look-up.
        """
        data = list(rows)
        if not data:
            raise ValueError("cannot train a matter model on no rows")
        words = WordMatcher.of(word for text, _ in data for word in segment.tokens(text))
        label_index: dict[str, int] = {}
        doc_counts: list[int] = []
        feature_counts: dict[str, dict[int, int]] = defaultdict(dict)
        for text, label in data:
            index = label_index.setdefault(label, len(label_index))
            if index == len(doc_counts):
                doc_counts.append(0)
            doc_counts[index] += 1
            for feature, count in Counter(features(text, words)).items():
                per_label = feature_counts[feature]
                per_label[index] = per_label.get(index, 0) + count
        metadata: dict[str, Any] = {
            "rows": len(data),
            "labels": len(label_index),
            "created_at": created_at.isoformat() if created_at else None,
        }
        return cls(
            labels=tuple(label_index),
            doc_counts=tuple(doc_counts),
            feature_counts=dict(feature_counts),
            alpha=alpha,
            metadata=metadata,
        )

    def text_features(self, text: str) -> list[str]:
        """The features of `text` as this model sees them (known words and bigrams)."""
        return features(text, self._words)

    @property
    def vocabulary_size(self) -> int:
        return len(self.feature_counts)

    def log_posteriors(self, text: str) -> list[float]:
        """Unnormalised log P(label | text) for every label, in `labels` order."""
        packed = self._packed
        total = 0
        length = 0
        for feature in features(text, self._words):
            corrections = packed.get(feature)
            if corrections is not None:
                total += corrections
                length += 1
        width = len(self.labels) * _LANE_BITS // 8
        lanes = array(_LANE_TYPE, total.to_bytes(width, "little"))
        if sys.byteorder == "big":
            lanes.byteswap()
        inverse_scale = 1.0 / _LANE_SCALE
        return [
            prior + length * unseen + lane * inverse_scale
            for prior, unseen, lane in zip(self._log_prior, self._log_unseen, lanes, strict=True)
        ]

    def predict(self, text: str) -> Classification:
        """The most probable matter; confidence is its posterior probability."""
        scores = self.log_posteriors(text)
        top = max(scores)
        normaliser = top + math.log(sum(map(math.exp, [score - top for score in scores])))
        ranked = heapq.nlargest(_TOP, range(len(scores)), key=scores.__getitem__)
        candidates = tuple(
            (self.labels[i], round(math.exp(scores[i] - normaliser), 4)) for i in ranked
        )
        best = ranked[0]
        return Classification(
            self.labels[best], math.exp(scores[best] - normaliser), "model", candidates
        )

    def to_json(self) -> str:
        """The model file the app loads."""
        return json.dumps(
            {
                "format": MODEL_FORMAT,
                "version": MODEL_FORMAT_VERSION,
                "alpha": self.alpha,
                "labels": list(self.labels),
                "doc_counts": list(self.doc_counts),
                "vocabulary": {
                    feature: {str(index): count for index, count in per_label.items()}
                    for feature, per_label in self.feature_counts.items()
                },
                "metadata": self.metadata,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> NaiveBayesModel:
        data = json.loads(text)
        if data.get("format") != MODEL_FORMAT or data.get("version") != MODEL_FORMAT_VERSION:
            raise ValueError(
                f"not a {MODEL_FORMAT} v{MODEL_FORMAT_VERSION} model file: "
                f"{data.get('format')!r} v{data.get('version')!r}"
            )
        return cls(
            labels=tuple(data["labels"]),
            doc_counts=tuple(int(n) for n in data["doc_counts"]),
            feature_counts={
                feature: {int(index): int(count) for index, count in per_label.items()}
                for feature, per_label in data["vocabulary"].items()
            },
            alpha=float(data["alpha"]),
            metadata=dict(data.get("metadata") or {}),
        )

    @classmethod
    def cross_validate(
        cls, rows: Iterable[tuple[str, str]], folds: int = 5, seed: int = 0, *, alpha: float = 0.5
    ) -> dict[str, float | int]:
        """K-fold accuracy and macro-F1, folds stratified by label and fixed by `seed`."""
        data = list(rows)
        if folds < 2:
            raise ValueError("cross-validation needs at least 2 folds")
        assignment = stratified_folds([label for _, label in data], folds, seed)
        gold: list[str] = []
        predicted: list[str | None] = []
        for fold in range(folds):
            train = [row for row, f in zip(data, assignment, strict=True) if f != fold]
            test = [row for row, f in zip(data, assignment, strict=True) if f == fold]
            if not test or not train:
                continue
            model = cls.train(train, alpha=alpha)
            for text, label in test:
                gold.append(label)
                predicted.append(model.predict(text).matter_code)
        scores = score_predictions(gold, predicted)
        return {**scores, "folds": folds}


def stratified_folds(labels: Sequence[str], folds: int, seed: int) -> list[int]:
    """A fold number per row: each label's rows are shuffled and dealt round-robin."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = defaultdict(list)
    for position, label in enumerate(labels):
        by_label[label].append(position)
    assignment = [0] * len(labels)
    dealt = 0
    for label in sorted(by_label):
        positions = by_label[label]
        rng.shuffle(positions)
        for position in positions:
            # Continuing the count across labels keeps the folds the same size.
            assignment[position] = dealt % folds
            dealt += 1
    return assignment


def score_predictions(
    gold: Sequence[str], predicted: Sequence[str | None]
) -> dict[str, float | int]:
    """Accuracy and macro-F1 over the gold labels; a missing prediction counts as wrong."""
    labels = sorted(set(gold))
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    f1_sum = 0.0
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        f1_sum += 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {
        "accuracy": correct / len(gold) if gold else 0.0,
        "macro_f1": f1_sum / len(labels) if labels else 0.0,
        "rows": len(gold),
        "labels": len(labels),
    }


def evaluate(
    classify: Callable[[str], Classification], rows: Iterable[tuple[str, str]]
) -> dict[str, float | int]:
    """Accuracy and macro-F1 of any classifier (such as keyword rules) on labelled rows."""
    gold: list[str] = []
    predicted: list[str | None] = []
    for text, label in rows:
        gold.append(label)
        predicted.append(classify(text).matter_code)
    return score_predictions(gold, predicted)


def catalogue_documents(
    matters: Iterable[tuple[str, str, str | Sequence[str]]],
    extra_keywords: Mapping[str, Sequence[str]] | None = None,
) -> list[tuple[str, str]]:
    """(text, code) training rows from the catalogue itself: each leaf's name and each of its
    keywords (the matter's own and its catalogue entries') as one short document."""
    rows: list[tuple[str, str]] = []
    for code, name, keywords in matters:
        words = [name, *_split_keywords(keywords), *(extra_keywords or {}).get(code, ())]
        rows.extend((word, code) for word in dict.fromkeys(w for w in words if w))
    return rows


def combine(by_rules: Classification, by_model: Classification, weight: float) -> Classification:
    """The rules' candidate scores plus `weight` times the model's posteriors: the model breaks
    the rules' near-ties and overrules a lone place word, and never outvotes a clear keyword."""
    scores: dict[str, float] = defaultdict(float)
    for code, score in by_rules.candidates:
        scores[code] += score
    for code, probability in by_model.candidates:
        scores[code] += weight * probability
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP]
    total = sum(scores.values())
    return Classification(
        ranked[0][0],
        round(ranked[0][1] / total, 4),
        "combined",
        tuple((code, round(score / total, 4)) for code, score in ranked),
    )


@dataclass(slots=True)
class Classifier:
    """The order of authority: the agent, then a confident history model, then the keyword
    rules helped by the catalogue model, else nobody."""

    model: NaiveBayesModel | None
    rules: KeywordRules
    threshold: float
    # Trained on the catalogue (catalogue_documents) and any labelled example appeals: too
    # little data to decide first, like a model of the city's history, but it knows words
    # that no keyword does.
    assist: NaiveBayesModel | None = None

    def classify(self, text: str, agent_matter: str | None = None) -> Classification:
        """The matter for `text`; method "none" sends the ticket to the manual dispatch queue."""
        if agent_matter:
            return Classification(agent_matter, 1.0, "agent", ((agent_matter, 1.0),))
        guess: Classification | None = None
        if self.model is not None:
            guess = self.model.predict(text)
            if guess.confidence >= self.threshold:
                return guess
        by_rules = self.rules.classify(text)
        helped = self.assist.predict(text) if self.assist is not None else None
        if by_rules.matter_code is not None:
            return by_rules if helped is None else combine(by_rules, helped, ASSIST_WEIGHT)
        # No keyword at all: the catalogue model alone is sure of matters in texts that name
        # none (今天天气不错 0.80, 喂你好我想咨询一下 0.94), so a person decides. Keep the
        # models' candidates: the dispatcher of the manual queue may use them.
        unsure = guess or helped
        return Classification(None, 0.0, "none", unsure.candidates if unsure else ())
