"""How the face is the subject of a sentence, as regex fragments for the rule patterns.

First person: `I`, `I'm`, `I've`, `my`. Third person: the face's names and pronouns, with the
verb forms that agree (`Alice is`, `she has`, `they are`, `her`, `Alice's`). Rule patterns use
the fragments as placeholders (`{S}`, `{BE}`, `{HAVE}`, `{WAS}`, `{POSS}`, `{OBJ}`, `{N}`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

APOS = "['\u2019]"
_OPEN = r"(?<![\w'\u2019])"  # not inside a word
_CLOSE = r"(?![\w'\u2019])"
NEVER = "(?!)"
_APPOSITION = r"(?:\s*,[^,.;:!?]{1,40},)?"  # "Alice, a nurse from Porto, lives in …"

# pronoun → (be, have, was, possessive, object)
_PRONOUN_FORMS: dict[str, tuple[str, str, str, str, str]] = {
    "she": ("is", "has", "was", "her", "her"),
    "he": ("is", "has", "was", "his", "him"),
    "they": ("are", "have", "were", "their", "them"),
}


def _initial_either_case(word: str) -> str:
    first = word[0]
    rest = re.escape(word[1:])
    if first.upper() == first.lower():
        return re.escape(first) + rest
    return f"[{first.upper()}{first.lower()}]{rest}"


def _alternation(words: Sequence[str]) -> str:
    unique = sorted(set(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(_initial_either_case(w) for w in unique) + ")" if unique else NEVER


def _name_forms(names: Sequence[str]) -> list[str]:
    """The full names and aliases, and each capitalised word of three letters or more."""
    forms: list[str] = []
    for name in names:
        clean = " ".join(name.split())
        if clean:
            forms.append(clean)
            forms.extend(w for w in clean.split() if len(w) >= 3 and w[0].isalpha())
    return forms


@dataclass(frozen=True, slots=True)
class Subject:
    """Regex fragments for the face as a sentence's subject, object and possessor."""

    s: str
    be: str
    have: str
    was: str
    poss: str
    obj: str
    n: str  # the face's names only (appositions: "Alice, 34, …")

    @classmethod
    def first_person(cls) -> Subject:
        i = f"{_OPEN}[Ii]"
        return cls(
            s=f"{i}{_CLOSE}",
            be=f"{i}(?:\\s+am|{APOS}m){_CLOSE}",
            have=f"{i}(?:\\s+have|{APOS}ve)(?:\\s+got)?{_CLOSE}",
            was=f"{i}\\s+was{_CLOSE}",
            poss=f"{_OPEN}[Mm]y{_CLOSE}",
            obj=f"{_OPEN}me{_CLOSE}",
            n=NEVER,
        )

    @classmethod
    def third_person(cls, names: Sequence[str], pronouns: Sequence[str]) -> Subject:
        name = _alternation(_name_forms(names))
        named = f"{name}{_APPOSITION}"
        subjects, obj, poss = [named], [name], [f"{name}{APOS}s"]
        be, have, was = [f"{named}\\s+is"], [f"{named}\\s+has"], [f"{named}\\s+was"]
        for pronoun in dict.fromkeys(p.casefold() for p in pronouns):
            if pronoun not in _PRONOUN_FORMS:
                continue
            is_, has, was_, possessive, objective = _PRONOUN_FORMS[pronoun]
            it = _alternation([pronoun])
            subjects.append(it)
            be += [f"{it}\\s+{is_}", f"{it}{APOS}{'re' if is_ == 'are' else 's'}"]
            have.append(f"{it}\\s+{has}")
            was.append(f"{it}\\s+{was_}")
            poss.append(_alternation([possessive]))
            obj.append(_alternation([objective]))
        return cls(
            s=_either(subjects),
            be=_either(be),
            have=_either(have),
            was=_either(was),
            poss=_either(poss),
            obj=_either(obj),
            n=_either([name]),
        )

    def fragments(self) -> dict[str, str]:
        return {
            "S": self.s, "BE": self.be, "HAVE": self.have, "WAS": self.was,
            "POSS": self.poss, "OBJ": self.obj, "N": self.n,
        }  # fmt: skip


def _either(options: Sequence[str]) -> str:
    return f"{_OPEN}(?:{'|'.join(options)}){_CLOSE}" if options else NEVER
