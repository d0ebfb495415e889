"""`Idempotency-Key`: a retried creation replays the first answer instead of acting twice."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import select

from hotline.errors import ApiError
from hotline.extensions import DbSession
from hotline.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class IdempotentRequest:
    scope: str
    key: str
    digest: str


def from_request(scope: str, body: Any) -> IdempotentRequest | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"Idempotency-Key 须为 1 至 {MAX_KEY_LENGTH} 个字符",
            {"field": HEADER},
        )
    return IdempotentRequest(scope=scope, key=key, digest=request_hash(body))


def find(session: DbSession, idem: IdempotentRequest) -> IdempotencyRecord | None:
    return session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == idem.scope, IdempotencyRecord.key == idem.key
        )
    ).first()


def replay(record: IdempotencyRecord, idem: IdempotentRequest) -> tuple[Response, int]:
    """The stored answer for the same key and body; 409 when the body differs."""
    if record.request_hash != idem.digest:
        raise ApiError(
            409,
            "idempotency_conflict",
            "该 Idempotency-Key 已用于内容不同的请求",
            {"key": idem.key},
        )
    response = jsonify(record.response_body)
    response.headers[REPLAYED_HEADER] = "true"
    return response, record.response_status


def remember(
    session: DbSession, idem: IdempotentRequest, status: int, body: dict[str, Any]
) -> None:
    """Store the answer in the same transaction as the change it describes."""
    session.add(
        IdempotencyRecord(
            scope=idem.scope,
            key=idem.key,
            request_hash=idem.digest,
            response_status=status,
            response_body=body,
        )
    )
    session.flush()
