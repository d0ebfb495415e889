"""GET services and GET a service definition: one Open311 service per leaf of the matter tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Matter
from hotline.open311 import blueprint
from hotline.open311.formats import Open311Error, render
from hotline.open311.jurisdiction import check_jurisdiction
from hotline.routing_context import routing_context
from routing.catalogue import APPEAL_TYPE_NAMES
from routing.glossary import URGENCY_LABELS, AppealType, Urgency
from routing.tree import CodeTree


@dataclass(frozen=True)
class AttributeDefinition:
    """One attribute of the service definition; a client sends it as attribute[code]=key."""

    code: str
    datatype: str
    required: bool
    order: int
    description: str
    datatype_description: str
    values: tuple[tuple[str, str], ...]
    default: str
    variable: bool = True

    def key_for(self, given: str) -> str | None:
        """The value key for what a client sent: the key itself or its Chinese name."""
        for key, name in self.values:
            if given in (key, name):
                return key
        return None

    def to_mapping(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description,
            "order": self.order,
            "description": self.description,
            "values": [{"key": key, "name": name} for key, name in self.values],
        }


# The same questions fit every matter; defaults apply when a client leaves them out.
ATTRIBUTES: tuple[AttributeDefinition, ...] = (
    AttributeDefinition(
        code="appeal_type",
        datatype="singlevaluelist",
        required=False,
        order=1,
        description="诉求类型",
        datatype_description="从列表中选择一项，默认为投诉",
        values=tuple(
            (kind, APPEAL_TYPE_NAMES[kind])
            for kind in (
                AppealType.CONSULT,
                AppealType.HELP,
                AppealType.COMPLAINT,
                AppealType.REPORT,
                AppealType.SUGGESTION,
            )
        ),
        default=AppealType.COMPLAINT,
    ),
    AttributeDefinition(
        code="urgency",
        datatype="singlevaluelist",
        required=False,
        order=2,
        description="紧急程度",
        datatype_description="从列表中选择一项，默认为一般；危及生命财产安全请直接拨打 110/119/120",
        values=tuple(URGENCY_LABELS.items()),
        default=Urgency.NORMAL,
    ),
    AttributeDefinition(
        code="confidential",
        datatype="singlevaluelist",
        required=False,
        order=3,
        description="是否要求对承办单位保密个人信息（举报类诉求一律保密）",
        datatype_description="从列表中选择一项，默认为否",
        values=(("false", "否"), ("true", "是")),
        default="false",
    ),
)
ATTRIBUTES_BY_CODE = {attribute.code: attribute for attribute in ATTRIBUTES}


def is_service(matters: CodeTree, code: str) -> bool:
    return code in matters and matters.is_leaf(code)


def _keywords() -> dict[str, str]:
    rows = db.session.execute(select(Matter.code, Matter.keywords))
    return {code: keywords for code, keywords in rows}


def service_summary(matters: CodeTree, code: str, keywords: str) -> dict[str, Any]:
    chain = matters.ancestors(code)
    path = " > ".join(matters.name(c) for c in reversed(chain))
    words = [w.strip() for w in keywords.replace("，", "、").replace(",", "、").split("、")]
    return {
        "service_code": code,
        "service_name": matters.name(code),
        "description": f"事项分类：{path}",
        "metadata": bool(ATTRIBUTES),
        "type": "realtime",
        "keywords": ", ".join(w for w in words if w),
        "group": matters.name(chain[-1]),
    }


@blueprint.get("/services.<any(xml, json):fmt>")
def list_services(fmt: str) -> Response:
    check_jurisdiction()
    matters = routing_context().matters
    keywords = _keywords()
    services = [
        service_summary(matters, code, keywords.get(code, "")) for code in sorted(matters.leaves())
    ]
    return render(fmt, "services", services)


@blueprint.get("/services/<service_code>.<any(xml, json):fmt>")
def service_definition(service_code: str, fmt: str) -> Response:
    check_jurisdiction()
    if not is_service(routing_context().matters, service_code):
        raise Open311Error(404, f"服务编码 {service_code} 不存在")
    body = {
        "service_code": service_code,
        "attributes": [attribute.to_mapping() for attribute in ATTRIBUTES],
    }
    return render(fmt, "service_definition", body)
