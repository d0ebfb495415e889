"""`flask calendar check|load`: the official holiday schedules."""

import click


@click.group()
def calendar() -> None:
    """The working calendar (State Council holiday schedules)."""
