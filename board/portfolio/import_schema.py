"""The portfolio file (see board/data/portfolio-2024-07.json) as pydantic models: what `validate`
accepts is what the importer writes.

Types, lengths, statuses and required fields are the models' own; what one part of the file says
about another (a municipality, a challenge row, a lever, an initiative or a part named elsewhere,
a key given twice) is checked in the same pass against the names `names_in` reads from the file
first, so every problem comes back at once, each at its path ("initiatives[3].parts[1].status:
…") in the visitor's language (board/uploads.py). Fields the format does not know are ignored.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from board import uploads
from board.portfolio.models import INITIATIVE_STATUSES, PART_STATUSES

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KEYED = ("organisations", "goals", "levers", "horizons", "challenges", "initiatives")
text = uploads.text


def _quoted(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _written(pattern: re.Pattern, problem):
    """Text written as `pattern` says; `problem()` tells in the visitor's language how it is not."""
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(problem())
        return value
    return Annotated[StrictStr, AfterValidator(check)]


def _key(kind: str):
    """The key of an object in the list `kind`: its form, and given only once in that list."""
    def check(value: str, info: ValidationInfo) -> str:
        if not KEY.match(value):
            raise ValueError(_("får bara ha små bokstäver, siffror och bindestreck (högst 80)"))
        if (info.context or {}).get("twice", {}).get(kind, Counter())[value] > 1:
            raise ValueError(_("nyckeln %(key)s finns mer än en gång", key=_quoted(value)))
        return value
    return Annotated[StrictStr, AfterValidator(check)]


def _ref(kind: str, problem):
    return Annotated[StrictStr, uploads.known(kind, problem)]


Month = _written(MONTH, lambda: _("måste vara en månad skriven ÅÅÅÅ-MM, eller null"))
Organisation_ = _ref("organisations", lambda key: _("okänd organisation %(key)s", key=_quoted(key)))
ChallengeKey = _ref("challenges", lambda key: _("okänd utmaning %(key)s", key=_quoted(key)))
PartNumber = uploads.whole(1, 999)
_MODEL = ConfigDict(strict=True, extra="ignore", populate_by_name=True)


class Portfolio(BaseModel):
    model_config = _MODEL
    name: text(200)
    programme: text(200, empty=True) | None = ""
    as_of: _written(DAY, lambda: _("måste vara ett datum skrivet ÅÅÅÅ-MM-DD")) | None = None
    reflection_questions: list[text(1000)] = []


class _Named(BaseModel):
    model_config = _MODEL
    name: text(200)


class Organisation(_Named):
    key: _key("organisations")


class Goal(BaseModel):
    model_config = _MODEL
    key: _key("goals")
    text: text(1000)


class Lever(_Named):
    key: _key("levers")


class Horizon(_Named):
    key: _key("horizons")
    subtitle: text(200, empty=True) | None = ""


def _row_once(row: int, info: ValidationInfo) -> int:
    if (info.context or {}).get("twice", {}).get("challenge_rows", Counter())[row] > 1:
        raise ValueError(_("raden %(row)d finns mer än en gång", row=row))
    return row


class ChallengeRow(BaseModel):
    model_config = _MODEL
    row: Annotated[uploads.whole(1, 2**31 - 1), AfterValidator(_row_once)]
    description: text(1000, empty=True) | None = ""


class Challenge(BaseModel):
    model_config = _MODEL
    key: _key("challenges")
    row: Annotated[StrictInt, uploads.known("challenge_rows", lambda row: _("ingen rad %(row)d i challenge_rows", row=row))]
    name: text(300)


class LegendItem(BaseModel):
    model_config = _MODEL
    key: text(80)
    label: text(200)


class Phase(BaseModel):
    model_config = _MODEL
    start: Month | None = Field(None, alias="from")
    to: Month | None = None

    @field_validator("to")
    @classmethod
    def _not_before_start(cls, to, info: ValidationInfo):
        start = info.data.get("start")
        if to and start and to < start:
            raise ValueError(_("får inte vara före phase.from"))
        return to


class Placement(BaseModel):
    model_config = _MODEL
    lever: _ref("levers", lambda key: _("okänd hävstång %(key)s", key=_quoted(key)))
    horizon: _ref("horizons", lambda key: _("okänd horisont %(key)s", key=_quoted(key)))


def _part_once(n: int, info: ValidationInfo) -> int:
    if (info.context or {}).get("own_numbers", Counter())[n] > 1:
        raise ValueError(_("delnummer %(n)d finns mer än en gång", n=n))
    return n


class Part(BaseModel):
    model_config = _MODEL
    n: Annotated[PartNumber, AfterValidator(_part_once)]
    question: text(2000)
    experiment: text(2000) | None = None
    status: Literal[PART_STATUSES]
    status_source: text(40) | None = None
    placement: Placement | None = None


def _own_part(n: int, info: ValidationInfo) -> int:
    numbers = (info.context or {}).get("own_numbers")
    if numbers is not None and n not in numbers:
        raise ValueError(_("det här initiativet har ingen del %(n)d", n=n))
    return n


class Relation(BaseModel):
    model_config = _MODEL
    to: _ref("initiatives", lambda key: _("okänt initiativ %(key)s", key=_quoted(key)))
    kind: text(40) | None = "strategic"
    source: text(40) | None = None
    note: text(2000, empty=True) | None = ""
    from_part: Annotated[StrictInt, AfterValidator(_own_part)] = None
    to_part: StrictInt = None

    @field_validator("to_part")
    @classmethod
    def _target_has_it(cls, n, info: ValidationInfo):
        target = info.data.get("to")
        numbers = (info.context or {}).get("parts", {}).get(target)
        if numbers is not None and n not in numbers:
            raise ValueError(_("%(key)s har ingen del %(n)d", key=target, n=n))
        return n

    @model_validator(mode="after")
    def _both_ends(self):
        if ("from_part" in self.model_fields_set) != ("to_part" in self.model_fields_set):
            raise ValueError(_("en relation mellan delar behöver både from_part och to_part"))
        return self


_PARTS = TypeAdapter(list[Part])
_RELATIONS = TypeAdapter(list[Relation])


def _numbers(parts) -> Counter:
    """The part numbers a raw list of parts gives, however wrong the rest of it is."""
    return Counter(p["n"] for p in parts if isinstance(p, dict) and type(p.get("n")) is int) \
        if isinstance(parts, list) else Counter()


class Initiative(BaseModel):
    model_config = _MODEL
    key: _key("initiatives")
    name: text(200)
    name_source: text(40) | None = None
    name_note: text(5000) | None = None
    challenge_source: text(40) | None = None
    status: Literal[INITIATIVE_STATUSES] = "active"
    municipalities: list[Organisation_] = []
    phase: Phase | None = None
    aims: list[text(2000)] = []
    notes: list[text(5000)] = []
    challenge_keys: list[ChallengeKey] = []
    parts: list[Part] = []
    relations: list[Relation] = []

    @field_validator("parts", "relations", mode="wrap")
    @classmethod
    def _with_own_numbers(cls, value, _handler, info: ValidationInfo):
        """Parts and relations between parts are checked against this initiative's part numbers."""
        if info.field_name == "parts":
            return uploads.within(_PARTS, value, info, own_numbers=_numbers(value))
        # this initiative's parts as the file gives them; with its key in doubt, none are checked
        raw = (info.context or {}).get("raw_parts", {})
        numbers = raw.get(info.data["key"], Counter()) if "key" in info.data else None
        return uploads.within(_RELATIONS, value, info, own_numbers=numbers)


class PortfolioFile(BaseModel):
    model_config = _MODEL
    portfolio: Portfolio
    organisations: list[Organisation]
    goals: list[Goal]
    levers: list[Lever]
    horizons: list[Horizon]
    legend: list[LegendItem] = []
    challenge_rows: list[ChallengeRow]
    challenges: list[Challenge]
    initiatives: list[Initiative]
    data_quirks: list[text(5000)] = []


def names_in(data) -> dict:
    """What the file names, read leniently before it is validated: the keys of each list (a key
    given twice is a problem at each place), the challenge rows and every initiative's parts."""
    def items(name):
        value = data.get(name) if isinstance(data, dict) else None
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

    twice = {kind: Counter(i["key"] for i in items(kind) if isinstance(i.get("key"), str)) for kind in KEYED}
    twice["challenge_rows"] = Counter(r["row"] for r in items("challenge_rows") if type(r.get("row")) is int)
    parts = {i["key"]: _numbers(i.get("parts")) for i in items("initiatives") if isinstance(i.get("key"), str)}
    return {**{kind: set(keys) for kind, keys in twice.items()}, "twice": twice, "raw_parts": parts,
            "parts": {key: set(numbers) for key, numbers in parts.items()}}


def validate(data) -> PortfolioFile:
    """The file as models, or uploads.UploadError with every problem at its path."""
    return uploads.check(PortfolioFile, data, limit=200, context=names_in(data))
