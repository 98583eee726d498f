"""Read plain YAML data into records whose fields say what they hold, or list every mistake.

A record is a frozen dataclass; each of its fields is declared with :func:`spec`, which
names the field's :class:`Kind` (text, a whole number in a range, one of some words, a
list, another record...) and its description. From that one declaration come the
checking of a YAML document (every problem with where it is, as a ``Location``), the
records built from it, and the JSON Schema that editors use to complete the same files.

It is small on purpose: a routine is read before every session and export, and this
takes a few milliseconds where a general validation library took a tenth of a second
or more to import and build. Values are taken the way YAML gives them; a number written
as a quoted string ("3") is still read as that number, as people write YAML both ways.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from masseur.text import close_matches

Location = tuple[str | int, ...]  # keys and list positions from a document's top
_R = TypeVar("_R")


@dataclass(frozen=True)
class Problem:
    """One mistake in a document."""

    loc: Location
    """Where: the keys and list positions from the document's top."""
    message: str
    """What is wrong, as the user reads it (without the place)."""
    kind: str = "value"
    """``unknown`` (a key the record does not have), ``missing`` (a required key not
    given) or ``value`` (a value of the wrong kind); the first two are reported at the key
    and at the mapping that lacks it."""


class Invalid(Exception):
    """A value is not of its field's kind; the message says why."""


class Kind:
    """What a field holds: checks and converts one value, and describes it as JSON Schema."""

    def check(self, value: object, loc: Location, problems: list[Problem]) -> object:
        """The value to store, or :data:`_BAD` after adding the problems found."""
        try:
            return self.convert(value)
        except Invalid as error:
            problems.append(Problem(loc, str(error)))
            return _BAD

    def convert(self, value: object) -> object:
        raise NotImplementedError

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


_BAD: Any = object()  # a value that failed its check; the problem is already listed


def _shown(value: object) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37] + "...")
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


EMPTY = "must not be empty"  # what Text says of blank text (the caller names the field)


class Text(Kind):
    """Words: a string, trimmed, never empty."""

    def convert(self, value: object) -> str:
        if not isinstance(value, str):
            raise Invalid(f"input should be text, got {_shown(value)}")
        text = value.strip()
        if not text:
            raise Invalid(EMPTY)
        return text

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "minLength": 1}


class Pattern(Kind):
    """A string that matches a regular expression (an id, a language code)."""

    def __init__(self, pattern: str, *, max_length: int | None = None, example: str) -> None:
        self.pattern = pattern
        self.max_length = max_length
        self.example = example
        self._regex = re.compile(pattern)

    def convert(self, value: object) -> str:
        if not isinstance(value, str):
            raise Invalid(f"input should be text such as '{self.example}', got {_shown(value)}")
        if self.max_length is not None and len(value) > self.max_length:
            raise Invalid(f"should have at most {self.max_length} characters")
        if "\n" in value or not self._regex.search(value):  # "$" would allow a last newline
            raise Invalid(f"{_shown(value)} should look like '{self.example}'")
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {"type": "string", "pattern": self.pattern}
        if self.max_length is not None:
            found["maxLength"] = self.max_length
        return found


# ASCII digits only: \d (and int()) would also take other scripts' digits, such as '٣'.
_WHOLE = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
MAX_NUMBER_TEXT = 40  # characters: far beyond any bound here, and int() refuses 4,300 digits


def _number_from_text(text: str) -> int | float:
    """A number written as text ('3', '0.5', '3.0'), as YAML would have read it unquoted."""
    if len(text) > MAX_NUMBER_TEXT:
        raise Invalid(f"{_shown(text)} is too long for a number")
    return int(text) if _WHOLE.fullmatch(text) else float(text)


def _check_bounds(number: float, low: float | None, high: float | None) -> None:
    if low is not None and number < low:
        raise Invalid(f"input should be greater than or equal to {low:g}")
    if high is not None and number > high:
        raise Invalid(f"input should be less than or equal to {high:g}")


class Whole(Kind):
    """A whole number, optionally within bounds."""

    def __init__(self, ge: int | None = None, le: int | None = None) -> None:
        self.ge = ge
        self.le = le

    def convert(self, value: object) -> int:
        if isinstance(value, bool):
            raise Invalid(f"input should be a valid integer, got {_shown(value)}")
        if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            value = _number_from_text(value.strip())
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise Invalid(f"input should be a valid integer, got {_shown(value)}")
        _check_bounds(value, self.ge, self.le)
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return _with_bounds({"type": "integer"}, self.ge, self.le)


class Number(Kind):
    """A finite number, optionally within bounds."""

    def __init__(self, ge: float | None = None, le: float | None = None) -> None:
        self.ge = ge
        self.le = le

    def convert(self, value: object) -> float:
        if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            value = _number_from_text(value.strip())
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(f"input should be a valid number, got {_shown(value)}")
        number = float(value)
        if not math.isfinite(number):
            raise Invalid(f"input should be a finite number, got {_shown(value)}")
        _check_bounds(number, self.ge, self.le)
        return number

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return _with_bounds({"type": "number"}, self.ge, self.le)


def _with_bounds(schema: dict[str, Any], low: float | None, high: float | None) -> dict[str, Any]:
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return schema


_TRUE = frozenset({"true", "yes", "on", "y", "t", "1"})
_FLAGS = _TRUE | {"false", "no", "off", "n", "f", "0"}


class Flag(Kind):
    """Yes or no (YAML's true/false; also yes/no, on/off and 1/0 as text)."""

    def convert(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in _FLAGS:
            return value.lower() in _TRUE
        raise Invalid(f"input should be true or false, got {_shown(value)}")

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}


class Choice(Kind):
    """One of a few words."""

    def __init__(self, *choices: str) -> None:
        self.choices = choices

    def convert(self, value: object) -> str:
        if isinstance(value, str) and value in self.choices:
            return value
        quoted = [f"'{choice}'" for choice in self.choices]
        listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
        raise Invalid(f"input should be {listed}, got {_shown(value)}")

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.choices)}


class Converted(Kind):
    """A value read by a function that raises ValueError with its own explanation (a
    duration such as 1m30s, a zone name), described by a fixed schema."""

    def __init__(self, read: Callable[[object], object], schema: Mapping[str, Any]) -> None:
        self.read = read
        self._schema = dict(schema)

    def convert(self, value: object) -> object:
        try:
            return self.read(value)
        except ValueError as error:
            raise Invalid(str(error)) from None

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return dict(self._schema)


class ListOf(Kind):
    """A YAML list whose items are all of one kind."""

    def __init__(self, item: Kind, *, min_length: int = 0, description: str | None = None) -> None:
        self.item = item
        self.min_length = min_length
        self.description = description

    def check(self, value: object, loc: Location, problems: list[Problem]) -> object:
        if not isinstance(value, list):
            problems.append(Problem(loc, f"input should be a list, got {_shown(value)}"))
            return _BAD
        if len(value) < self.min_length:
            problems.append(Problem(loc, f"should have at least {self.min_length} item"))
            return _BAD
        before = len(problems)
        items = [self.item.check(item, (*loc, index), problems) for index, item in enumerate(value)]
        return _BAD if len(problems) > before else items

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {"type": "array", "items": self.item.schema(defs)}
        if self.min_length:
            found["minItems"] = self.min_length
        if self.description:
            found["description"] = self.description
        return found


class Record(Kind):
    """A mapping read into a record class; unknown keys are mistakes."""

    def __init__(self, cls: type[Any]) -> None:
        self.cls = cls

    def check(self, value: object, loc: Location, problems: list[Problem]) -> object:
        if not isinstance(value, dict):
            problems.append(Problem(loc, f"input should be a mapping of keys, got {_shown(value)}"))
            return _BAD
        before = len(problems)
        fields = record_fields(self.cls)
        for key in value:
            if key not in fields:
                problems.append(Problem((*loc, key), unknown_key_message(key, fields), "unknown"))
        values: dict[str, object] = {}
        for name, field in fields.items():
            if name in value:
                given = value[name]
                nullable = given is None and field.default is None
                kind: Kind = field.metadata["kind"]
                values[name] = None if nullable else kind.check(given, (*loc, name), problems)
            elif _required(field):
                problems.append(Problem((*loc, name), f"missing required key '{name}'", "missing"))
        return _BAD if len(problems) > before else self.cls(**values)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        name = self.cls.__name__
        if name not in defs:
            defs[name] = record_schema(self.cls, defs)
        return {"$ref": f"#/$defs/{name}"}


def spec(
    kind: Kind,
    description: str | None = None,
    *,
    default: object = dataclasses.MISSING,
    default_factory: Callable[[], object] | None = None,
) -> Any:
    """A record's field: what it holds, what it means and, if it may be left out, its default.
    A field whose default is None also takes an explicit ``null``."""
    metadata = {"kind": kind, "description": description}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def record_fields(cls: type[Any]) -> dict[str, dataclasses.Field[Any]]:
    """The fields of a record class that come from a document, in declaration order."""
    found = _FIELDS.get(cls)
    if found is None:
        found = {field.name: field for field in dataclasses.fields(cls) if "kind" in field.metadata}
        _FIELDS[cls] = found
    return found


_FIELDS: dict[type[Any], dict[str, dataclasses.Field[Any]]] = {}


def unknown_key_message(key: object, fields: Sequence[str] | Mapping[str, object]) -> str:
    allowed = sorted(fields)
    close = close_matches(str(key), allowed)
    hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
    return f"unknown key '{key}'; {hint}"


def read_record(cls: type[_R], data: object) -> tuple[_R | None, list[Problem]]:
    """``data`` (as YAML gives it) as a ``cls``, or None and every problem found."""
    problems: list[Problem] = []
    found = Record(cls).check(data, (), problems)
    if problems or found is _BAD:
        return None, problems
    return found, []  # type: ignore[return-value]


def record_schema(cls: type[Any], defs: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema for one record class (its nested records go in ``defs``)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in record_fields(cls).items():
        kind: Kind = field.metadata["kind"]
        found = kind.schema(defs)
        if field.default is None:
            found = {"anyOf": [found, {"type": "null"}], "default": None}
        elif field.default is not dataclasses.MISSING:
            found = {**found, "default": field.default}
        elif _required(field):
            required.append(name)
        description = field.metadata["description"]
        if description:
            found["description"] = description
        found["title"] = name.replace("_", " ").capitalize()
        properties[name] = found
    schema: dict[str, Any] = {
        "title": cls.__name__,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if cls.__doc__:
        schema["description"] = cls.__doc__.strip().splitlines()[0]
    if required:
        schema["required"] = required
    return schema
