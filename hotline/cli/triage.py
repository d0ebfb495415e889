"""`flask triage train|route-examples|check`: the triage models and a look at how a message is
triaged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hotline.cli.files import write_problem
from hotline.emergency_training import (
    ROUTE_NEGLIGIBLE,
    ROUTE_SIGNIFICANT_DIGITS,
    Example,
    TrainingError,
    read_examples,
    read_labelled_examples,
    train,
    write_model,
)
from hotline.route_examples import (
    DEFAULT_EMERGENCY_EXAMPLES_PATH,
    DEFAULT_ROUTE_EXAMPLES_PATH,
    DEFAULT_ROUTE_MODEL_PATH,
    labelled_texts,
    route_classes,
    route_examples,
    write_route_examples,
)
from routing.emergency_model import DEFAULT_EXAMPLES_PATH, DEFAULT_MODEL_PATH
from routing.ngram_model import NgramModel
from routing.triage import (
    TriageRules,
    model_not_asked,
    model_reading,
    normalise,
    route_model_not_asked,
    route_model_threshold,
    triage,
)

# The labelled messages the route model's examples are built from (tests/data of the checkout).
DEFAULT_LABELLED_DATA = Path(__file__).resolve().parents[2] / "tests" / "data"


@click.group()
def triage_group() -> None:
    """Intake triage: the emergency and route models and their rules."""


@triage_group.command("train")
@click.option(
    "--routes",
    is_flag=True,
    help="Train the route model (legal routes and refusals) instead of the emergency model.",
)
@click.option(
    "--examples",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=(
        f"JSON lines {{text, services}}, an empty services list meaning no emergency "
        f"[default: {DEFAULT_EXAMPLES_PATH}]; with --routes, {{text, label}} "
        f"[default: {DEFAULT_ROUTE_EXAMPLES_PATH}]."
    ),
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"[default: {DEFAULT_MODEL_PATH}; with --routes, {DEFAULT_ROUTE_MODEL_PATH}]",
)
def train_command(routes: bool, examples: Path | None, output: Path | None) -> None:
    """Train the emergency model, or the route model, from labelled examples (needs
    scikit-learn)."""
    if routes:
        examples = examples or DEFAULT_ROUTE_EXAMPLES_PATH
        output = output or DEFAULT_ROUTE_MODEL_PATH
    else:
        examples = examples or DEFAULT_EXAMPLES_PATH
        output = output or DEFAULT_MODEL_PATH
    try:
        rows: list[Example]
        model: dict[str, Any]
        if routes:
            classes = route_classes()
            rows, sha256 = read_labelled_examples(examples, classes)
            model = train(
                rows,
                source=examples.name,
                sha256=sha256,
                classes=classes,
                significant_digits=ROUTE_SIGNIFICANT_DIGITS,
                negligible=ROUTE_NEGLIGIBLE,
            )
            write_model(model, output, NgramModel, compact=True)
        else:
            rows, sha256 = read_examples(examples)
            model = train(rows, source=examples.name, sha256=sha256)
            write_model(model, output)  # checked before it replaces the served file
    except TrainingError as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"无法写入 {output}：{write_problem(error)}") from None
    per_class = ", ".join(f"{k} {v}" for k, v in model["trained_on"]["per_class"].items())
    not_read = model["trained_on"]["not_read"]
    click.echo(
        f"trained on {len(rows)} examples ({per_class})"
        + (f"; {not_read} with nothing the model reads (no Chinese) left out" if not_read else "")
        + f"; {len(model['features'])} features written to {output}"
    )


@triage_group.command("route-examples")
@click.option(
    "--data",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=DEFAULT_LABELLED_DATA,
    show_default=True,
    help="The labelled messages (heldout_messages_*.jsonl, legal_route_wording.jsonl, ...).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_ROUTE_EXAMPLES_PATH,
    show_default=True,
)
def route_examples_command(data: Path, output: Path) -> None:
    """Build the route model's examples from the labelled messages (then `train --routes`)."""
    try:
        examples = route_examples(labelled_texts(data, DEFAULT_EMERGENCY_EXAMPLES_PATH))
    except (OSError, ValueError, KeyError) as error:
        raise click.ClickException(f"the labelled data cannot be read: {error!r}") from error
    try:
        write_route_examples(examples, output)
    except OSError as error:
        raise click.ClickException(f"无法写入 {output}：{write_problem(error)}") from None
    click.echo(f"{len(examples)} examples written to {output}")


@triage_group.command("check")
@click.argument("text")
def check_command(text: str) -> None:
    """Show how TEXT is triaged, and what the emergency and route models read in it."""
    rules = TriageRules.load_default()
    result = triage(text, rules)
    click.echo(f"outcome: {result.outcome.value if result.outcome else 'continue'}")
    for label, value in (
        ("service", result.service),
        ("route", result.route),
        ("reason", result.reason_zh),
        ("matched", result.matched),
    ):
        if value:
            click.echo(f"{label}: {value}")
    verdict = model_reading(text, rules)
    if verdict is not None:
        not_asked = model_not_asked(text, rules)
        click.echo(
            f"model: {verdict.service} {verdict.probability:.3f} "
            f"(threshold {rules.emergency_model_threshold}); "
            f"evidence: {'、'.join(verdict.evidence) or '-'}"
            + (f"; not asked: {not_asked}" if not_asked else "")
        )
    if rules.route_model is not None:
        probabilities = rules.route_model.probabilities(normalise(text))
        top = max(probabilities, key=lambda c: probabilities[c])
        not_asked = route_model_not_asked(text, rules)
        click.echo(
            f"route model: {top} {probabilities[top]:.3f}"
            + (
                f" (threshold {route_model_threshold(top, rules)})"
                if route_model_threshold(top, rules) is not None
                else ""
            )
            + (f"; not asked: {not_asked}" if not_asked else "")
        )
