"""`flask demo load`: the demo city with its units, catalogue and users."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from hotline.cli.files import write_problem
from hotline.demo.loader import load_demo, write_matter_examples
from hotline.extensions import db
from hotline.routing_context import invalidate
from hotline.transaction import commit


@click.group()
def demo() -> None:
    """The demo city 云江市."""


@demo.command("load")
def load() -> None:
    """Load (or refresh) the demo city; safe to run again."""
    report = load_demo(
        db.session, current_app.config.get("DEMO_PASSWORD"), current_app.config.get("DEMO_API_KEY")
    )
    commit()
    examples = Path(current_app.config["MATTER_EXAMPLES_PATH"])
    try:
        before = examples.read_bytes() if examples.is_file() else None
        written = write_matter_examples(examples)
    except OSError as error:
        raise click.ClickException(
            f"演示城市已载入，但示例诉求无法写入 {examples}：{write_problem(error)}"
            "（见 HOTLINE_MATTER_EXAMPLES）"
        ) from None
    if not written:
        click.echo(f"{examples} holds other matter examples; left as it is")
    elif before is not None and examples.read_bytes() != before:
        click.echo(
            f"{examples} now holds this release's demo matter examples; a server already"
            " running reads them once restarted"
        )
    invalidate(current_app._get_current_object())  # type: ignore[attr-defined]
    counts = ", ".join(f"{name}: {count}" for name, count in report.counts.items())
    click.echo(f"demo city loaded ({counts})")
    if report.generated_password:
        click.echo(
            "HOTLINE_DEMO_PASSWORD was not set; the password of the demo users created now is:"
            f" {report.password}"
        )
    elif report.password is None and not current_app.config.get("DEMO_PASSWORD"):
        click.echo("HOTLINE_DEMO_PASSWORD was not set; existing demo users keep their passwords")
    if report.api_key:
        click.echo("integration API key from HOTLINE_DEMO_API_KEY is active")
