"""GET /api/v1/units, /areas, /matters: the reference data behind every code a ticket carries,
for pick lists (a dispatcher choosing a unit, an agent an area) and for names beside codes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select

from hotline.api.parsing import load_query
from hotline.auth import ANY_ROLE, require_roles
from hotline.extensions import db
from hotline.models import Area, Matter, Unit
from routing.glossary import AreaLevel, UnitKind

blueprint = Blueprint("reference_api", __name__, url_prefix="/api/v1")


class UnitsQuery(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(validate=validate.OneOf([kind.value for kind in UnitKind]))
    area = fields.String(validate=validate.Length(min=1, max=32))
    active = fields.Boolean(load_default=True)


class AreasQuery(Schema):
    class Meta:
        unknown = RAISE

    level = fields.String(validate=validate.OneOf([level.value for level in AreaLevel]))
    parent = fields.String(validate=validate.Length(min=1, max=32))


class MattersQuery(Schema):
    class Meta:
        unknown = RAISE

    parent = fields.String(validate=validate.Length(min=1, max=32))
    leaves = fields.Boolean(load_default=False)


class UnitRowSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    parent_code = fields.String(allow_none=True)
    area_code = fields.String(allow_none=True)
    active = fields.Boolean()


class UnitListSchema(Schema):
    units = fields.List(fields.Nested(UnitRowSchema))


class AreaRowSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_code = fields.String(allow_none=True)


class AreaListSchema(Schema):
    areas = fields.List(fields.Nested(AreaRowSchema))


class MatterRowSchema(Schema):
    code = fields.String()
    name = fields.String()
    parent_code = fields.String(allow_none=True)
    leaf = fields.Boolean(metadata={"description": "末级事项（可派单的事项）"})


class MatterListSchema(Schema):
    matters = fields.List(fields.Nested(MatterRowSchema))


@blueprint.get("/units")
@require_roles(ANY_ROLE)
def list_units() -> Any:
    """承办单位, by code; `active=false` lists the deactivated ones instead."""
    query = load_query(UnitsQuery())
    units = select(Unit).where(Unit.active.is_(query["active"])).order_by(Unit.code)
    if "kind" in query:
        units = units.where(Unit.kind == query["kind"])
    if "area" in query:
        units = units.where(Unit.area_code == query["area"])
    return {
        "units": [
            {
                "code": unit.code,
                "name": unit.name,
                "kind": unit.kind,
                "parent_code": unit.parent_code,
                "area_code": unit.area_code,
                "active": unit.active,
            }
            for unit in db.session.scalars(units)
        ]
    }


@blueprint.get("/areas")
@require_roles(ANY_ROLE)
def list_areas() -> Any:
    query = load_query(AreasQuery())
    areas = select(Area).order_by(Area.code)
    if "level" in query:
        areas = areas.where(Area.level == query["level"])
    if "parent" in query:
        areas = areas.where(Area.parent_code == query["parent"])
    return {
        "areas": [
            {"code": a.code, "name": a.name, "level": a.level, "parent_code": a.parent_code}
            for a in db.session.scalars(areas)
        ]
    }


@blueprint.get("/matters")
@require_roles(ANY_ROLE)
def list_matters() -> Any:
    query = load_query(MattersQuery())
    everything = list(db.session.scalars(select(Matter).order_by(Matter.code)))
    parents = {m.parent_code for m in everything if m.parent_code is not None}
    rows = [
        {
            "code": m.code,
            "name": m.name,
            "parent_code": m.parent_code,
            "leaf": m.code not in parents,
        }
        for m in everything
        if ("parent" not in query or m.parent_code == query["parent"])
        and (not query["leaves"] or m.code not in parents)
    ]
    return {"matters": rows}
