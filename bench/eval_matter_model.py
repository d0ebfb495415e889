"""Forward-chained check of the catalogue model that helps the keyword rules classify matters.

For each wording batch of tests/data/matter_wording.jsonl that arrived before a revision of the
demo keywords, the rules are rebuilt from the demo data as it stood on the batch's arrival (git
history) and the model is trained only on what existed then: the catalogue's names and keywords
and the earlier batches (with the matters of real_messages.csv). Later batches are measured with
the rules and the demo's examples of the commit they met (batch 8: before it joined the examples;
batch 9: the working tree). Legal-route leaves are left out: triage refers those. Prints matter and
lead-unit accuracy, rules alone against rules with the model, and the model's cost per message.

    python bench/eval_matter_model.py [--weights 0.15,0.25,0.35]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.classify import (  # noqa: E402
    Classifier,
    KeywordRules,
    NaiveBayesModel,
    catalogue_documents,
    combine,
)
from routing.tree import CodeTree, TreeNode  # noqa: E402
from tests.unit.test_matter_wording import lead_unit  # noqa: E402

DATA = ROOT / "tests" / "data"
# (batch, the commit whose parent holds the keywords the batch met on arrival)
ARRIVALS = ((3, "d8821b2^"), (4, "d8821b2"), (6, "770db22^"), (7, "27187b2^"))
# Batches that arrived after the catalogue model, with the examples the demo had then; None is
# the working tree.
LATER: tuple[tuple[int, str | None], ...] = (
    (8, "cdbeeb4"),
    (9, "84b921f"),
    (10, "66cd3cf"),
    (10, "a296344"),
    (11, "a296344"),
    (11, "d307602"),
    (12, "d307602"),
    (12, "76124d8"),
    (13, "2bd6cd6"),
    (13, "579433d"),
    (14, "579433d"),
    (14, None),
    (15, "579433d"),
    (15, None),
)


def demo_file(commit: str | None, name: str) -> str:
    path = f"hotline/demo/data/{name}"
    if commit is None:
        return (ROOT / path).read_text(encoding="utf-8")
    return subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def catalogue_at(commit: str | None) -> tuple[KeywordRules, list[tuple[str, str]], set[str]]:
    rows = list(csv.DictReader(io.StringIO(demo_file(commit, "matters.csv"))))
    tree = CodeTree(TreeNode(r["code"], r["name"], r["parent_code"] or None) for r in rows)
    keywords = {r["code"]: r["keywords"] for r in rows}
    extra: dict[str, list[str]] = defaultdict(list)
    for entry in csv.DictReader(io.StringIO(demo_file(commit, "catalogue.csv"))):
        extra[entry["事项编码"]].extend(w for w in entry["关键词"].split("、") if w)
    leaves = [(c, tree.name(c), keywords.get(c, "")) for c in tree.leaves()]
    rules = KeywordRules.from_matters(leaves, extra)
    return rules, catalogue_documents(leaves, extra), set(tree.leaves())


def wording(batch: int) -> list[tuple[str, str]]:
    if batch >= 8:
        lines = (DATA / f"matter_wording_{batch}.jsonl").read_text(encoding="utf-8").splitlines()
    else:
        lines = (DATA / "matter_wording.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line]
    # A legal-route leaf (19.*) is triage's business: the classifier never refers (batch 9
    # drew three of them).
    return [
        (r["text"], r["expected_matter"])
        for r in rows
        if r["batch"] == batch and not r["expected_matter"].startswith("19")
    ]


def earlier(batch: int) -> list[tuple[str, str]]:
    lines = (DATA / "matter_wording.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line]
    out = [(r["text"], r["expected_matter"]) for r in rows if r["batch"] < batch]
    with (DATA / "real_messages.csv").open(encoding="utf-8") as fh:
        out += [
            (r["text"], r["expected_matter"]) for r in csv.DictReader(fh) if r["expected_matter"]
        ]
    return out


def score(picks: list[str | None], gold: list[str]) -> tuple[int, int]:
    matter = sum(p == g for p, g in zip(picks, gold, strict=True))
    lead = sum(lead_unit(p) == lead_unit(g) for p, g in zip(picks, gold, strict=True))
    return matter, lead


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default="0.15,0.25,0.35")
    weights = [float(w) for w in parser.parse_args().weights.split(",")]
    print(
        "| batch | messages | rules: matter, lead unit | "
        + " | ".join(f"with the model at {w}" for w in weights)
        + " |"
    )
    print("|---|---:|---:|" + "---:|" * len(weights))
    for batch, commit in (*ARRIVALS, *LATER):
        rules, documents, leaves = catalogue_at(commit)
        examples = demo_file(commit, "matter_examples.jsonl") if batch >= 8 else None
        if examples is not None:
            known = [(r["text"], r["matter_code"]) for r in map(json.loads, examples.splitlines())]
        else:
            known = earlier(batch)
        model = NaiveBayesModel.train(documents + [row for row in known if row[1] in leaves])
        test = wording(batch)
        gold = [g for _, g in test]
        by_rules = [rules.classify(t) for t, _ in test]
        by_model = [model.predict(t) for t, _ in test]
        alone = score([c.matter_code for c in by_rules], gold)
        cells = []
        for w in weights:
            picks = [
                combine(r, m, w).matter_code if r.matter_code is not None else None
                for r, m in zip(by_rules, by_model, strict=True)
            ]
            matter, lead = score(picks, gold)
            cells.append(f"{matter}, {lead}")
        n = len(test)
        print(f"| {batch} | {n} | {alone[0]}, {alone[1]} | " + " | ".join(cells) + " |")
    texts = [t for t, _ in wording(8)] * 10
    plain = Classifier(None, rules, 0.6)
    helped = Classifier(None, rules, 0.6, assist=model)
    timings = []
    for classifier in (plain, helped, plain, helped):
        start = time.process_time()
        for text in texts:
            classifier.classify(text)
        timings.append((time.process_time() - start) / len(texts) * 1e6)
    print(
        f"\nCPU per message: rules alone {min(timings[0], timings[2]):.0f} µs, with the model "
        f"{min(timings[1], timings[3]):.0f} µs (ratio "
        f"{min(timings[1], timings[3]) / min(timings[0], timings[2]):.2f})"
    )


if __name__ == "__main__":
    main()
