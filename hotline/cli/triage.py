"""`flask triage train|check`: the emergency model and a look at how a message is triaged."""

from __future__ import annotations

from pathlib import Path

import click

from hotline.cli.files import write_problem
from hotline.emergency_training import TrainingError, read_examples, train, write_model
from routing.emergency_model import DEFAULT_EXAMPLES_PATH, DEFAULT_MODEL_PATH
from routing.triage import TriageRules, model_not_asked, model_reading, triage


@click.group()
def triage_group() -> None:
    """Intake triage: the emergency model and its rules."""


@triage_group.command("train")
@click.option(
    "--examples",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=DEFAULT_EXAMPLES_PATH,
    show_default=True,
    help="JSON lines {text, services}; an empty services list means no emergency.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_MODEL_PATH,
    show_default=True,
)
def train_command(examples: Path, output: Path) -> None:
    """Train the emergency model from labelled examples (needs scikit-learn)."""
    try:
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


@triage_group.command("check")
@click.argument("text")
def check_command(text: str) -> None:
    """Show how TEXT is triaged, and what the emergency model reads in it."""
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
