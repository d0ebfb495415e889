"""Emergency triage: what the learned third look adds, and what it costs per message.

Quality, by forward-chained validation: for each wording batch k of
tests/data/emergency_wording.jsonl (2..last), a model is trained exactly as `flask triage train`
trains it, on routing/data/emergency_examples.jsonl without batch k and the batches after it and
without one fold in five of the history tickets, matter wordings and short ordinary statements;
it then reads batch k and that fold, as triage would (calm messages and what the rules keep to
themselves are not put to it).

Cost: triage per message on the realistic messages, with the model stage and without it (the
baseline, measured in the same run), and the ratio.

Run from the repository root: python bench/bench_triage.py [--output docs/benchmarks/triage.md]
Needs scikit-learn (the `train` or `dev` extra).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotline.emergency_training import Example, train  # noqa: E402
from routing.emergency_model import (  # noqa: E402
    DEFAULT_EXAMPLES_PATH,
    NOT_AN_EMERGENCY,
    EmergencyModel,
)
from routing.triage import (  # noqa: E402
    TriageRules,
    masked,
    model_not_asked,
    normalise,
    triage,
)

FOLDS = 5


def batch_of(source: str) -> int:
    return int(source.split("/")[1]) if source.startswith("emergency_wording/") else 0


def validate(rules: TriageRules) -> list[str]:
    rows = [json.loads(line) for line in DEFAULT_EXAMPLES_PATH.read_text("utf-8").splitlines()]
    held_out_kinds = (
        "history_sample",
        "matter_wording",
        "ordinary_short",
        "contact_wording",
        "legal_route_wording",
        "review_probes",
    )
    last = max(batch_of(r["source"]) for r in rows)

    def put_to_model(text: str) -> bool:
        return model_not_asked(text, rules) is None

    totals = {"dangers": 0, "right": 0, "near": 0, "near_fa": 0, "ordinary": 0, "ordinary_fa": 0}
    lines = ["| batch | dangers to a right service | near misses transferred |", "|---|---:|---:|"]
    for k in range(2, last + 1):
        fold = k % FOLDS

        def held_out(row: dict[str, object], fold: int = fold) -> bool:
            kind = str(row["source"]).split("/")[0]
            return kind in held_out_kinds and rows.index(row) % FOLDS == fold

        training = [
            Example(r["text"], r["services"][0] if r["services"] else NOT_AN_EMERGENCY)
            for r in rows
            if not held_out(r) and not batch_of(r["source"]) >= k
        ]
        model = EmergencyModel.from_mapping(train(training))

        def transferred(
            text: str,
            model: EmergencyModel = model,
            threshold: float = rules.emergency_model_threshold,
        ) -> str | None:
            if not put_to_model(text):
                return None
            verdict = model.read(masked(normalise(text), rules))
            return verdict.service if verdict.probability >= threshold else None

        batch = [r for r in rows if batch_of(r["source"]) == k]
        dangers = [r for r in batch if r["services"]]
        right = sum(transferred(r["text"]) in r["services"] for r in dangers)
        near = [r for r in batch if not r["services"]]
        near_fa = sum(transferred(r["text"]) is not None for r in near)
        lines.append(f"| {k} | {right}/{len(dangers)} | {near_fa}/{len(near)} |")
        if k - 2 < FOLDS:  # each fold of the ordinary messages once
            ordinary = [r for r in rows if held_out(r)]
            totals["ordinary"] += len(ordinary)
            totals["ordinary_fa"] += sum(transferred(r["text"]) is not None for r in ordinary)
        totals["dangers"] += len(dangers)
        totals["right"] += right
        totals["near"] += len(near)
        totals["near_fa"] += near_fa
        print(lines[-1], flush=True)
    lines.append(
        f"| all | {totals['right']}/{totals['dangers']} | {totals['near_fa']}/{totals['near']} |"
    )
    lines.append("")
    lines.append(
        "Ordinary messages (history tickets, matter wordings, short ordinary statements, "
        "contacts, legal-route wordings and review probes, each fold once) transferred: "
        f"{totals['ordinary_fa']} of {totals['ordinary']}."
    )
    return lines


def cost(rules: TriageRules, rounds: int) -> list[str]:
    with (ROOT / "tests" / "data" / "real_messages.csv").open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    without = replace(rules, emergency_model=None)

    def per_message(r: TriageRules) -> float:
        started = time.perf_counter()
        for text in texts:
            triage(text, r)
        return (time.perf_counter() - started) / len(texts) * 1e6

    per_message(rules)  # warm-up: regexes compiled, model loaded
    with_model, baseline = [], []
    for _ in range(rounds):  # alternated, so that load on the machine hits both alike
        baseline.append(per_message(without))
        with_model.append(per_message(rules))
    b, w = statistics.median(baseline), statistics.median(with_model)
    return [
        f"Triage of the {len(texts)} realistic messages, median of {rounds} alternated rounds: "
        f"{b:.0f} µs per message without the model stage (baseline), {w:.0f} µs with it: "
        f"ratio {w / b:.2f}."
    ]


def duplicate_cost(rounds: int) -> list[str]:
    """The duplicate check against 50 open candidates at one place (CANDIDATE_LIMIT), with the
    candidates' segmentation kept (text_features' cache) and without it (the baseline)."""
    from datetime import UTC, datetime, timedelta

    from routing import triage as module

    with (ROOT / "tests" / "data" / "real_messages.csv").open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)][:51]
    now = datetime.now(UTC)
    candidates = [
        module.DuplicateCandidate(
            ticket_id=i,
            number=f"N{i}",
            requester_phone=None,
            area_code="A",
            matter_code="M",
            text=text,
            accepted_at=now - timedelta(hours=1),
            open=True,
        )
        for i, text in enumerate(texts[1:])
    ]
    cached = module.text_features
    plain = cached.__wrapped__

    def per_check(features: object, offset: int) -> float:
        module.text_features = features  # type: ignore[assignment]
        started = time.perf_counter()
        for i in range(200):
            module.find_duplicate(
                f"{texts[0]}{offset + i}", None, "A", "M", now, candidates, timedelta(days=7)
            )
        return (time.perf_counter() - started) / 200 * 1e6

    baseline, kept = [], []
    try:
        for r in range(rounds):
            baseline.append(per_check(plain, 1000 * r))
            kept.append(per_check(cached, 1000 * r + 500))
    finally:
        module.text_features = cached
    b, k = statistics.median(baseline), statistics.median(kept)
    return [
        f"Duplicate check of a new appeal against 50 open candidates, median of {rounds} rounds: "
        f"{b:.0f} µs segmenting every candidate again (baseline), {k:.0f} µs with their "
        f"segmentation kept: ratio {k / b:.3f}."
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", type=Path)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    rules = TriageRules.load_default()
    report = [
        "## Emergency triage: the learned third look (bench/bench_triage.py)",
        "",
        f"Threshold {rules.emergency_model_threshold}; forward-chained validation "
        "(the model alone, as triage consults it):",
        "",
        *validate(rules),
        "",
        *cost(rules, args.rounds),
        "",
        *duplicate_cost(5),
    ]
    text = "\n".join(report) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
