"""Fixtures for the Open311 tests."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import update

from hotline.extensions import db
from hotline.models import CatalogueVersion


@pytest.fixture
def no_catalogue(app: Flask) -> None:
    """No active catalogue: the router falls back to the district government of the area."""
    db.session.execute(
        update(CatalogueVersion).where(CatalogueVersion.state == "active").values(state="retired")
    )
    db.session.flush()
