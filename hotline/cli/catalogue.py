"""`flask catalogue import|export|diff|activate` and `flask classifier train|evaluate`."""

import click


@click.group()
def catalogue() -> None:
    """The responsibility matrix (派单目录)."""


@click.group()
def classifier() -> None:
    """The matter classifier."""
