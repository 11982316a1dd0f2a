from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fased.errors import Unprocessable
from fased.faces.cards import (
    FaceFields,
    ImportedFace,
    derive_alias,
    example_turns,
    export_ccv2,
    export_fased,
    import_ccv2,
    import_fased,
)
from fased.faces.compile.keys import digest
from fased.faces.formula import ALIAS_PATTERN
from fased.faces.model import Claim, Component, Primitive
from fased.faces.render import ProfileInput, render_profile


def prim(key: str, statement: str, weight: float = 1.0, **extra: Any) -> Primitive:
    component: Component = key.split(":", 1)[0]  # type: ignore[assignment]
    return Primitive(key, component, statement, weight, support=extra.pop("support", 1), **extra)


FACE = FaceFields(
    alias="alice",
    name="Alice Moreau",
    basic_facts={"age": "34", "occupation": "nurse; nights"},
    default_model="gpt-4o-mini",
    profile_addendum="Never give medical advice.",
)
PRIMITIVES = [
    prim("epsilon:example:9f1c", 'honestly? "no" idea.\nI\'ll ask the doctor', sources=("doc_2",)),
    prim("alpha:fact:location", "lives in Lyon", 3.0, fact=("location", "Lyon"), support=2),
    prim("alpha:role:sister", "older sister of two brothers", 2.0, sources=("doc_1",)),
    prim("beta:value:honesty", "values honesty over tact", 2.5, sources=("doc_1", "doc_2")),
    prim("delta:domain:pharmacology", "knows pharmacology", 1.0),
    prim("epsilon:style:emoji", "never uses emoji", 0.5),
    prim("epsilon:example:0a7e", "night shift again. coffee #3"),
]
CLAIMS = [
    Claim("beta:value:honesty", "beta", "values honesty over tact", "I'd rather be honest",
          (10, 30), 1, "offline", 0.8, "doc_2"),
    Claim("alpha:fact:location", "alpha", "lives in Lyon", "I live in Lyon", (0, 14), 0,
          "offline", 0.9, "doc_1", ("location", "Lyon")),
]  # fmt: skip
CCV2_FIELDS = {
    "name", "description", "personality", "scenario", "first_mes", "mes_example",
    "creator_notes", "system_prompt", "post_history_instructions", "alternate_greetings", "tags",
    "creator", "character_version", "extensions",
}  # fmt: skip


def by_key(primitives: list[Primitive] | tuple[Primitive, ...]) -> tuple[Primitive, ...]:
    return tuple(sorted(primitives, key=lambda p: p.key))


# -- Fased JSON --------------------------------------------------------------------------------


def test_fased_round_trip_is_exact_and_json_pure() -> None:
    exported = export_fased(FACE, PRIMITIVES, CLAIMS)
    assert orjson.loads(orjson.dumps(exported)) == exported
    imported = import_fased(orjson.loads(orjson.dumps(exported)))
    assert imported == ImportedFace(FACE, by_key(PRIMITIVES), tuple(reversed(CLAIMS)))
    assert export_fased(imported.face, imported.primitives, imported.claims) == exported


def test_fased_export_shape() -> None:
    exported = export_fased(FACE, PRIMITIVES, CLAIMS)
    assert exported["format"] == "fased.face/v1"
    assert exported["face"] == {
        "alias": "alice",
        "name": "Alice Moreau",
        "basic_facts": {"age": "34", "occupation": "nurse; nights"},
        "default_model": "gpt-4o-mini",
        "formula": None,
        "profile_addendum": "Never give medical advice.",
    }
    assert exported["primitives"][0] == {
        "key": "alpha:fact:location",
        "component": "alpha",
        "statement": "lives in Lyon",
        "weight": 3.0,
        "support": 2,
        "fact": ["location", "Lyon"],
        "sources": [],
    }
    assert [c["document_id"] for c in exported["claims"]] == ["doc_1", "doc_2"]
    assert exported["claims"][0]["span"] == [0, 14]
    assert export_fased(FACE, list(reversed(PRIMITIVES)), CLAIMS[::-1]) == exported


def test_fased_import_takes_api_style_facts() -> None:
    data = export_fased(FACE, [])
    data["face"]["basic_facts"] = {"age": {"value": "34", "status": "stated"}}
    assert import_fased(data).face.basic_facts == {"age": "34"}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (_set("format", "fased.face/v2"), "format"),
        (_set("face.alias", "Not An Alias"), "face.alias"),
        (_set("face.name", ""), "face.name"),
        (_set("face.surprise", 1), "face.surprise"),
        (_set("primitives.0.component", "beta"), "must start with 'beta:'"),
        (_set("primitives.0.key", "gamma:x"), "primitives.0.key"),
        (_set("primitives.1.key", "alpha:fact:location"), "unique"),
        (_set("primitives.0.weight", -1), "primitives.0.weight"),
        (_set("claims.0.confidence", 1.5), "claims.0.confidence"),
        (_set("claims.0.span", [1]), "claims.0.span"),
    ],
)
def test_fased_import_rejects_invalid_cards(
    change: Callable[[dict[str, Any]], None], says: str
) -> None:
    data = copy.deepcopy(export_fased(FACE, PRIMITIVES, CLAIMS))
    change(data)
    with pytest.raises(Unprocessable) as caught:
        import_fased(data)
    assert caught.value.status == 422
    assert caught.value.message.startswith("Invalid Fased face card: ")
    assert says in caught.value.message


@pytest.mark.parametrize("data", [None, [], "fased", {"format": "fased.face/v1"}])
def test_fased_import_rejects_non_cards(data: object) -> None:
    with pytest.raises(Unprocessable):
        import_fased(data)


# -- Character Card V2: export -----------------------------------------------------------------


def test_ccv2_export_shape() -> None:
    card = export_ccv2(FACE, PRIMITIVES, creator="alice@example.org", character_version="3")
    assert (card["spec"], card["spec_version"]) == ("chara_card_v2", "2.0")
    data = card["data"]
    assert set(data) == CCV2_FIELDS
    assert data["name"] == "Alice Moreau"
    assert data["description"] == (
        "@facts age=34; occupation=nurse\\; nights\n"
        "α lives in Lyon\n"
        "α older sister of two brothers\n"
        "β values honesty over tact"
    )
    assert data["personality"] == "δ knows pharmacology\nε never uses emoji"
    assert data["mes_example"] == (
        "<START>\n{{char}}: night shift again. coffee #3\n"
        '<START>\n{{char}}: honestly? "no" idea.\nI\'ll ask the doctor'
    )
    assert data["system_prompt"] == "{{original}}\nNever give medical advice."
    assert (data["creator"], data["character_version"]) == ("alice@example.org", "3")
    assert data["extensions"]["fased"] == export_fased(FACE, PRIMITIVES)  # no claims
    assert orjson.loads(orjson.dumps(card)) == card


def test_ccv2_round_trip_is_exact() -> None:
    card = export_ccv2(FACE, PRIMITIVES, creator="me")
    imported = import_ccv2(orjson.loads(orjson.dumps(card)))
    assert imported == ImportedFace(FACE, by_key(PRIMITIVES))
    assert export_ccv2(imported.face, imported.primitives, creator="me") == card


def test_an_edited_card_is_read_from_its_text_keeping_what_matches() -> None:
    card = copy.deepcopy(export_ccv2(FACE, PRIMITIVES))
    data = card["data"]
    data["description"] = data["description"].replace("α older sister of two brothers\n", "")
    data["personality"] += "\nShe always hums while she works. She loves jazz."
    imported = import_ccv2(card)
    keys = [p.key for p in imported.primitives]
    assert "alpha:role:sister" not in keys
    kept = {p.key: p for p in imported.primitives}
    assert kept["beta:value:honesty"] == prim(
        "beta:value:honesty", "values honesty over tact", 2.5, sources=("doc_1", "doc_2")
    )
    assert kept["alpha:fact:location"].fact == ("location", "Lyon")
    new = [p for p in imported.primitives if ":card:" in p.key]
    assert [(p.component, p.statement) for p in new] == [
        ("beta", "She loves jazz."),
        ("epsilon", "She always hums while she works."),
    ]
    assert imported.face.alias == "alice"
    assert imported.face.basic_facts == {"age": "34", "occupation": "nurse; nights"}
    assert imported.face.profile_addendum == "Never give medical advice."


# -- Character Card V2: a foreign card ---------------------------------------------------------

FOREIGN: dict[str, Any] = {
    "spec": "chara_card_v2",
    "spec_version": "2.0",
    "data": {
        "name": "Captain Mira Vance",
        "description": (
            "{{char}} is the captain of the freighter Kestrel.\n"
            "Age: 42\nOccupation: freight captain\n"
            "She grew up on a mining colony. She lost her brother in the Ceres riots.\n\n"
            "- Loves old jazz records\n- Hates corporate security\n"
        ),
        "personality": (
            "gruff, loyal, dry humour. {{char}} often swears in Belter creole. "
            "She thinks through problems out loud."
        ),
        "scenario": "{{user}} is a new crew member aboard the Kestrel.",
        "first_mes": "*Mira looks up from the nav console.* You're late. Stow your gear.",
        "mes_example": (
            "<START>\n{{user}}: Captain, what's our cargo?\n"
            "{{char}}: Nothing you need to know about.\nJust keep the reactor happy.\n"
            "<START>\n{{user}}: Do you ever rest?\n{{char}}: Rest is for people with working ships."
        ),
        "creator_notes": "Works best with long replies.",
        "system_prompt": "{{original}}\nWrite in third person. Keep replies under 150 words.",
        "post_history_instructions": "Stay in character.",
        "alternate_greetings": ["*The airlock hisses.* Who let you in?"],
        "character_book": {
            "extensions": {},
            "entries": [
                {
                    "keys": ["Kestrel"],
                    "content": "An old freighter.",
                    "extensions": {},
                    "enabled": True,
                    "insertion_order": 0,
                },
            ],
        },
        "tags": ["sci-fi", "captain"],
        "creator": "someone",
        "character_version": "1.2",
        "extensions": {"talkativeness": "0.5", "fav": False, "depth_prompt": {"depth": 4}},
    },
}


def test_a_foreign_card_becomes_a_face() -> None:
    imported = import_ccv2(copy.deepcopy(FOREIGN))
    assert imported.face == FaceFields(
        alias="captain-mira-vance",
        name="Captain Mira Vance",
        basic_facts={"age": "42", "occupation": "freight captain"},
        profile_addendum=(
            "Write in third person. Keep replies under 150 words.\n\n"
            "Scenario: the user is a new crew member aboard the Kestrel."
        ),
    )
    lines = sorted((p.component, p.statement) for p in imported.primitives)
    assert lines == [
        ("alpha", "Captain Mira Vance is the captain of the freighter Kestrel."),
        ("alpha", "She grew up on a mining colony."),
        ("alpha", "She lost her brother in the Ceres riots."),
        ("beta", "Hates corporate security"),
        ("beta", "Loves old jazz records"),
        ("delta", "She thinks through problems out loud."),
        ("epsilon", "*Mira looks up from the nav console.* You're late. Stow your gear."),
        ("epsilon", "Captain Mira Vance often swears in Belter creole."),
        ("epsilon", "Nothing you need to know about.\nJust keep the reactor happy."),
        ("epsilon", "Rest is for people with working ships."),
        ("epsilon", "gruff, loyal, dry humour."),
    ]
    examples = [p for p in imported.primitives if p.key.startswith("epsilon:example:")]
    assert len(examples) == 3
    assert all(p.weight == 1.0 and p.support == 1 for p in imported.primitives)
    assert import_ccv2(copy.deepcopy(FOREIGN)) == imported  # keys are content digests


def test_a_foreign_face_renders_and_survives_our_own_round_trip() -> None:
    imported = import_ccv2(copy.deepcopy(FOREIGN))
    face = ProfileInput(imported.face.name, imported.face.alias, imported.face.basic_facts)
    profile = render_profile(face, imported.primitives, budget=256, query="jazz")
    assert profile.tokens <= 256
    assert profile.text.split("\n")[1] == "@facts age=42; occupation=freight captain"
    again = import_ccv2(export_ccv2(imported.face, imported.primitives))
    assert again == imported


def test_a_v1_card_is_read_too() -> None:
    v1 = {k: FOREIGN["data"][k] for k in ("name", "description", "personality", "mes_example")}
    v1 |= {"scenario": "", "first_mes": ""}
    imported = import_ccv2(v1)
    assert imported.face.alias == "captain-mira-vance"
    assert len(imported.primitives) == 10


@pytest.mark.parametrize(
    "card",
    [
        {"spec": "chara_card_v3", "spec_version": "3.0", "data": {"name": "X"}},
        {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": ""}},
        {"spec": "chara_card_v2", "spec_version": "2.0"},
        {"spec": "chara_card_v2", "data": {"name": "X", "description": 5}},
        "not a card",
        None,
    ],
)
def test_invalid_cards_are_422(card: object) -> None:
    with pytest.raises(Unprocessable) as caught:
        import_ccv2(card)
    assert caught.value.message.startswith("Invalid Character Card V2: ")


def test_a_broken_extension_is_ignored() -> None:
    card = copy.deepcopy(export_ccv2(FACE, PRIMITIVES))
    card["data"]["extensions"]["fased"]["format"] = "something else"
    imported = import_ccv2(card)
    assert imported.face.alias == "alice-moreau"
    assert {p.statement for p in imported.primitives} == {p.statement for p in PRIMITIVES}


def test_example_turns() -> None:
    text = "<START>\n{{user}}: hi\n{{char}}: one\n  two\n{{user}}: x\n<BOT>: three\n<START>"
    assert example_turns(text) == ["one\n  two", "three"]


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("Captain Mira Vance", "captain-mira-vance"),
        ("Zoë O'Brien", "zoe-o-brien"),
        ("  --R2_D2--  ", "r2-d2"),
        ("東京", "face"),
        ("Default", "default-face"),
        ("x" * 100, "x" * 64),
    ],
)
def test_derive_alias(name: str, alias: str) -> None:
    assert derive_alias(name) == alias


@given(st.text())
def test_derived_aliases_are_always_valid(name: str) -> None:
    assert ALIAS_PATTERN.fullmatch(derive_alias(name))


def test_sigil_lines_in_a_foreign_card_keep_their_component() -> None:
    card = {
        "spec": "chara_card_v2",
        "data": {
            "name": "Eve",
            "description": "@facts age=29; home=Oslo\\; Norway\nδ thinks in systems",
            "personality": 'ε example: "hi \\"there\\"\\nyou"\nε never waits',
        },
    }
    imported = import_ccv2(card)
    assert imported.face.basic_facts == {"age": "29", "home": "Oslo; Norway"}
    assert [(p.key.rsplit(":", 1)[0], p.statement) for p in imported.primitives] == [
        ("delta:card", "thinks in systems"),
        ("epsilon:card", "never waits"),
        ("epsilon:example", 'hi "there"\nyou'),
    ]


statements = st.text(min_size=1, max_size=80).filter(str.strip)


@given(
    items=st.lists(
        st.tuples(st.sampled_from(["alpha", "beta", "delta", "epsilon"]), statements), max_size=8
    ),
    examples=st.lists(statements, max_size=3),
    value=st.text(max_size=50),
)
def test_any_face_survives_a_ccv2_round_trip(
    items: list[tuple[Component, str]], examples: list[str], value: str
) -> None:
    primitives = [prim(f"{c}:k:{i}", text) for i, (c, text) in enumerate(items)]
    primitives += [prim(f"epsilon:example:{i}", text) for i, text in enumerate(examples)]
    face = FaceFields("x", "X", {"note": value})
    card = export_ccv2(face, primitives)
    imported = import_ccv2(orjson.loads(orjson.dumps(card)))
    assert imported == ImportedFace(face, by_key(primitives))
    assert export_ccv2(imported.face, imported.primitives) == card


@given(description=st.text(max_size=300), personality=st.text(max_size=300))
def test_any_foreign_text_gives_valid_primitives(description: str, personality: str) -> None:
    card = {"name": "Zed", "description": description, "personality": personality}
    imported = import_ccv2(card)
    for primitive in imported.primitives:
        assert primitive.key.startswith(f"{primitive.component}:")
        assert primitive.statement == primitive.statement.strip() and primitive.statement
    again = import_fased(export_fased(imported.face, imported.primitives))
    assert again == imported


def test_foreign_facts_are_capped_like_the_api_caps_them() -> None:
    imported = import_ccv2({"name": "Zed", "description": "Occupation: " + "x" * 900})
    assert imported.face.basic_facts == {"occupation": "x" * 500}
    assert import_fased(export_fased(imported.face, imported.primitives)) == imported


def test_imported_example_turns_are_keyed_like_compiled_ones() -> None:
    imported = import_ccv2(copy.deepcopy(FOREIGN))
    turn = "Rest is for people with working ships."
    assert f"epsilon:example:{digest(turn)}" in {p.key for p in imported.primitives}
