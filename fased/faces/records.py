"""How faces' data is written to the store: sources and imported primitives as JSON, claims as
`ClaimRecord`s. Pure conversions, each with its inverse.

A document's `source` column holds `{"type": "document", "text", "perspective"}` or
`{"type": "thread", "turns": [[speaker, text], …], "face_speaker"}`: exactly what was parsed, so
chunk offsets and claim spans keep referring to it (a transcription is not repeatable). An
import's holds `{"type": "import", "format", "primitives": [...]}`: the primitives it brought,
verbatim (see `fased.faces.exchange`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from fased.faces.compile.keys import component_of
from fased.faces.model import (
    Claim,
    DocumentSource,
    Primitive,
    Source,
    ThreadSource,
    Turn,
)
from fased.store.claims import ClaimRecord


def encode_source(source: Source) -> str:
    if isinstance(source, DocumentSource):
        data: dict[str, Any] = {
            "type": "document",
            "text": source.text,
            "perspective": source.perspective,
        }
    else:
        data = {
            "type": "thread",
            "turns": [[turn.speaker, turn.text] for turn in source.turns],
            "face_speaker": source.face_speaker,
        }
    return orjson.dumps(data).decode()


def decode_source(text: str) -> Source:
    data = orjson.loads(text)
    if data["type"] == "document":
        return DocumentSource(data["text"], data["perspective"])
    if data["type"] == "thread":
        turns = tuple(Turn(speaker, said) for speaker, said in data["turns"])
        return ThreadSource(turns, data["face_speaker"])
    raise ValueError(f"not a compilable source: {data['type']!r}")


def claim_record(claim: Claim) -> ClaimRecord:
    name, value = claim.fact if claim.fact is not None else (None, None)
    return ClaimRecord(
        document_id=claim.document_id,
        chunk_index=claim.chunk_index,
        key=claim.key,
        component=claim.component,
        statement=claim.statement,
        quote=claim.quote,
        span_start=claim.span[0],
        span_end=claim.span[1],
        extractor=claim.extractor,
        confidence=claim.confidence,
        fact_name=name,
        fact_value=value,
    )


def claim_of(record: ClaimRecord) -> Claim:
    fact = None if record.fact_name is None else (record.fact_name, record.fact_value or "")
    return Claim(
        key=record.key,
        component=component_of(record.key),
        statement=record.statement,
        quote=record.quote,
        span=(record.span_start, record.span_end),
        chunk_index=record.chunk_index,
        extractor=record.extractor,
        confidence=record.confidence,
        document_id=record.document_id,
        fact=fact,
    )


def _primitive_data(primitive: Primitive) -> dict[str, Any]:
    return {
        "key": primitive.key,
        "statement": primitive.statement,
        "weight": primitive.weight,
        "support": primitive.support,
        "fact": list(primitive.fact) if primitive.fact else None,
    }


def encode_import(format_name: str, primitives: Iterable[Primitive]) -> str:
    data = {
        "type": "import",
        "format": format_name,
        "primitives": [_primitive_data(p) for p in sorted(primitives, key=lambda p: p.key)],
    }
    return orjson.dumps(data).decode()


def decode_import(document_id: str, text: str) -> list[Primitive]:
    """An import's primitives, their source being the import document."""
    data = orjson.loads(text)
    return [
        Primitive(
            key=item["key"],
            component=component_of(item["key"]),
            statement=item["statement"],
            weight=item["weight"],
            support=item["support"],
            fact=(item["fact"][0], item["fact"][1]) if item["fact"] else None,
            sources=(document_id,),
        )
        for item in data["primitives"]
    ]
