"""Small curated word lists the fact rules match against, kept in code (no data files).

Each is a frozenset of lower-case entries (multi-word entries allowed); `alternation` turns one
into a regex group that matches the entry with any capitalisation of its first letter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`, as a set."""
    return frozenset(text.split())


OCCUPATIONS = words(
    """
    accountant actor actress administrator analyst animator anthropologist archaeologist
    architect archivist artist astronaut astronomer attorney author baker banker barber barista
    bartender biologist blogger bookkeeper broker builder butcher caregiver carer carpenter
    cashier ceo cfo chef chemist civil-servant cleaner clerk coach composer consultant
    contractor cook coo counsellor counselor cto curator dancer dentist designer detective
    developer dietitian diplomat director doctor driver economist editor educator electrician
    engineer entrepreneur epidemiologist executive farmer filmmaker firefighter fisherman
    florist freelancer gardener geologist guitarist hairdresser historian homemaker illustrator
    instructor interpreter intern investor janitor jeweler journalist judge lawyer lecturer
    librarian linguist locksmith machinist manager marketer mathematician mechanic midwife
    miner musician nanny neuroscientist novelist nurse nutritionist optician painter paralegal
    paramedic pastor pharmacist philosopher photographer physician physicist physiotherapist
    pianist pilot plumber podcaster poet politician priest producer professor programmer
    psychiatrist psychologist publisher rabbi realtor receptionist recruiter researcher
    salesperson scientist sculptor secretary singer sociologist soldier statistician student
    surgeon surveyor tailor teacher technician therapist trader trainer translator tutor
    veterinarian vet violinist waiter waitress welder writer youtuber zoologist
    """.replace("-", " ")
)

DEMONYMS = words(
    """
    afghan albanian algerian american argentine argentinian armenian australian austrian
    bangladeshi belgian bolivian bosnian brazilian british bulgarian cameroonian canadian
    chilean chinese colombian croatian cuban czech danish dominican dutch ecuadorian egyptian
    emirati english estonian ethiopian filipino finnish french georgian german ghanaian greek
    guatemalan haitian hungarian icelandic indian indonesian iranian iraqi irish israeli
    italian jamaican japanese jordanian kazakh kenyan korean latvian lebanese lithuanian
    malaysian mexican moroccan nepali nigerian norwegian pakistani palestinian peruvian polish
    portuguese romanian russian saudi scottish senegalese serbian singaporean slovak slovenian
    spanish swedish swiss syrian taiwanese tanzanian thai tunisian turkish ugandan ukrainian
    uruguayan uzbek venezuelan vietnamese welsh
    """
) | frozenset({"south african", "sri lankan", "new zealander", "puerto rican"})

LANGUAGES = words(
    """
    afrikaans albanian amharic arabic armenian basque bengali bulgarian cantonese catalan
    chinese croatian czech danish dutch english esperanto estonian farsi filipino finnish
    french gaelic galician georgian german greek gujarati hausa hebrew hindi hungarian
    icelandic igbo indonesian irish italian japanese kannada korean latin latvian lithuanian
    malay malayalam mandarin marathi nepali norwegian persian polish portuguese punjabi
    romanian russian serbian sinhala slovak slovenian spanish swahili swedish tagalog tamil
    telugu thai turkish ukrainian urdu vietnamese welsh xhosa yoruba zulu
    """
) | frozenset({"sign language", "asl", "bsl"})

NUMBER_WORDS = words("no one two three four five six seven eight nine ten eleven twelve several")

PETS = words(
    """
    dog dogs cat cats puppy puppies kitten kittens rabbit rabbits parrot parrots hamster
    hamsters horse horses tortoise tortoises turtle turtles fish bird birds snake lizard
    """
)

RELATIONS = words(
    """
    wife husband partner girlfriend boyfriend fiancé fiancée spouse son daughter mother father
    mom mum dad brother sister grandmother grandfather grandma grandpa aunt uncle cousin niece
    nephew friend mentor boss colleague roommate flatmate
    """
) | frozenset({"best friend"})


def alternation(entries: Iterable[str]) -> str:
    """A regex group matching any entry, longest first, either case for its first letter."""
    ordered = sorted(set(entries), key=lambda w: (-len(w), w))
    escaped = [f"[{w[0].upper()}{w[0]}]{re.escape(w[1:])}" for w in ordered]
    return r"(?<![\w'\u2019-])(?:" + "|".join(escaped) + r")(?![\w'\u2019-])"
