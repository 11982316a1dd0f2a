"""The rules a face's own fields follow (SPEC §4, §7), and the request bodies that set them.

Status codes, as in SPEC §10.3 (`default_model` not in the catalog → 422): a body that is not
the right shape (not an object, a field of the wrong type) is a 400; a well-formed value that
breaks a rule (an alias that is reserved or taken by a model id, a fact value over 500
characters, an unknown model) is a 422 whose message says how to fix it; a duplicate alias is a
409. Unknown body fields are ignored (STYLE rule 4: tolerant of fields we don't use).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fased.errors import BadRequest, Unprocessable
from fased.faces.formula import aliases, parse
from fased.providers.catalog import Catalog
from fased.store.faces import FactRecord

ALIAS_RULE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RESERVED_ALIASES: Final = frozenset({"fased", "default", "diff", "import"})
MAX_FACT_VALUE: Final = 500
MAX_FACTS: Final = 100
MAX_NAME: Final = 200
MAX_TEXT: Final = 20_000
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^0-9a-z]+")

FactInput = str | int | float | bool | dict[str, Any]
M = TypeVar("M", bound=BaseModel)


class FaceBody(BaseModel):
    """`POST /v1/faces`."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    alias: str
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    basic_facts: dict[str, FactInput | None] = {}
    default_model: str | None = None
    formula: Annotated[str, Field(max_length=1024)] | None = None
    description: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    profile_addendum: Annotated[str, Field(max_length=MAX_TEXT)] | None = None


class FacePatch(BaseModel):
    """`PATCH /v1/faces/{id}`: the fields sent are changed (null clears an optional one)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    alias: str | None = None
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)] | None = None
    basic_facts: dict[str, FactInput | None] | None = None
    default_model: str | None = None
    formula: Annotated[str, Field(max_length=1024)] | None = None
    description: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    profile_addendum: Annotated[str, Field(max_length=MAX_TEXT)] | None = None

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


def parse_body(model: type[M], data: object) -> M:
    """`data` as `model`; 400 naming the first problems."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
            for item in error.errors()[:5]
        ]
        raise BadRequest("Invalid request body: " + "; ".join(problems)) from None


def check_alias(alias: str, catalog: Catalog) -> str:
    """`alias` if it may name a face; 422 saying why not."""
    if not ALIAS_RULE.fullmatch(alias):
        raise Unprocessable(
            f"Invalid alias {alias[:80]!r}: use 1-64 lower-case letters, digits, '_' or '-', "
            "starting with a letter or digit (e.g. 'alice' or 'ada-lovelace').",
            code="invalid_alias",
            param="alias",
        )
    if alias in RESERVED_ALIASES:
        raise Unprocessable(
            f"The alias {alias!r} is reserved ({', '.join(sorted(RESERVED_ALIASES))} are); "
            "choose another.",
            code="invalid_alias",
            param="alias",
        )
    if catalog.lookup(alias) is not None:
        raise Unprocessable(
            f"The alias {alias!r} is a model id in the catalog; a face with it could not be "
            "told apart from the model. Choose another alias.",
            code="invalid_alias",
            param="alias",
        )
    return alias


def check_model(model: str, catalog: Catalog) -> str:
    if catalog.lookup(model) is None:
        raise Unprocessable(
            f"default_model {model!r} is not in the catalog; GET /v1/models lists the models "
            "you can use.",
            code="model_not_found",
            param="default_model",
        )
    return model


def check_formula(formula: str) -> str:
    """A syntactically valid formula (its operands are checked when it is evaluated)."""
    aliases(parse(formula))
    return formula


def snake_case(name: str) -> str:
    """`Home Town`, `homeTown`, `home-town` → `home_town`."""
    return _NON_WORD.sub("_", _CAMEL.sub("_", name.strip()).lower()).strip("_")


def _fact_value(name: str, raw: FactInput) -> str:
    value = raw.get("value") if isinstance(raw, dict) else raw
    if isinstance(value, bool):
        value = "true" if value else "false"
    if not isinstance(value, str | int | float):
        raise BadRequest(
            f"basic_facts.{name}: give a string, or an object with a string `value`.",
            param="basic_facts",
        )
    text = str(value).strip()
    if len(text) > MAX_FACT_VALUE:
        raise Unprocessable(
            f"basic_facts.{name} is {len(text)} characters; a fact value may have at most "
            f"{MAX_FACT_VALUE}. Put longer text in documents or the profile_addendum.",
            code="fact_too_long",
            param="basic_facts",
        )
    return text


def normalize_facts(raw: Mapping[str, FactInput | None]) -> tuple[FactRecord, ...]:
    """Facts with snake_case names and string values, in the order given; null/empty dropped."""
    if len(raw) > MAX_FACTS:
        raise Unprocessable(f"At most {MAX_FACTS} basic_facts.", param="basic_facts")
    facts: dict[str, FactRecord] = {}
    for given, value in raw.items():
        name = snake_case(given)
        if not name:
            raise Unprocessable(
                f"basic_facts key {given[:80]!r} has no letters or digits.", param="basic_facts"
            )
        if name in facts:
            raise Unprocessable(
                f"basic_facts keys collide: {given!r} and another key are both {name!r} in "
                "snake_case; send one of them.",
                param="basic_facts",
            )
        text = "" if value is None else _fact_value(name, value)
        if text:
            facts[name] = FactRecord(name, text)
    return tuple(facts.values())
