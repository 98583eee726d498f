"""Read YAML with the safe loader, keeping where every value is written.

Refuses what could hurt before any value is used: documents that expand through aliases
past MAX_NODES values, duplicate keys, and control characters (terminal escapes) in any
text. Integers are read in base ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from masseur.pyyaml import yaml
from masseur.textsafety import describe_character, find_control_character
from masseur.typed_yaml import Location

# Aliases let a tiny file describe an exponentially large document ("billion laughs").
# A real routine has a few hundred nodes; refuse anything that expands past this.
MAX_NODES = 20_000


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


class PositionIndex:
    """Maps a path in the document (``('steps', 0, 'say')``) to where it is written."""

    def __init__(self) -> None:
        self.values: dict[Location, Mark] = {}
        self.keys: dict[Location, Mark] = {}

    def value(self, loc: Location) -> Mark:
        # Fall back to the nearest enclosing node the index knows about.
        for cut in range(len(loc), -1, -1):
            mark = self.values.get(loc[:cut])
            if mark is not None:
                return mark
        return Mark(1, 1)

    def key(self, loc: Location) -> Mark:
        return self.keys.get(loc) or self.value(loc)


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _check_scalar_text(node: yaml.Node) -> None:
    """Refuse control characters (terminal escapes) written into any text of the file."""
    if not isinstance(node, yaml.ScalarNode) or not isinstance(node.value, str):
        return
    position = find_control_character(node.value)
    if position is not None:
        raise LoadProblem(
            f"the text contains the control character {describe_character(node.value[position])}"
            ", which could take over the terminal; remove it",
            _mark(node),
        )


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """Numbers as people write them: ``010`` is ten (YAML 1.1 would read octal eight).

    Hexadecimal and binary forms stay text, which every number field then refuses; a
    number too long to be meant stays text too.
    """
    assert isinstance(node, yaml.ScalarNode)
    text = str(node.value)
    digits = text.replace("_", "").lstrip("+-")
    if len(digits) > 30 or digits[:2].lower() in ("0x", "0b", "0o"):
        return text
    if len(digits) > 1 and digits.startswith("0") and digits.isdigit():
        return int(text.replace("_", ""), 10)
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


class _RoutineLoader(yaml.SafeLoader):
    """The safe loader, with integers read in base ten."""


_RoutineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)

# The same loader on libyaml's parser (when PyYAML was built with it): a routine parses in
# about 1.5 ms instead of 22. libyaml words its errors differently and counts a bad byte's
# place in bytes, so a file it refuses is read again by the pure-Python loader, whose
# messages and places masseur reports.
_LoaderClass = type[yaml.SafeLoader] | type[yaml.CSafeLoader]
_FastRoutineLoader: _LoaderClass | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastRoutineLoaderClass(yaml.CSafeLoader):
        """libyaml's safe loader, with integers read in base ten."""

    _FastRoutineLoaderClass.add_constructor("tag:yaml.org,2002:int", _construct_int)
    _FastRoutineLoader = _FastRoutineLoaderClass


def _named(character: object) -> str:
    """A character the reader refused (given as its code, or as bytes it could not decode),
    named so that a person can find it."""
    if isinstance(character, int):
        return describe_character(chr(character))
    return repr(character)


class LoadProblem(Exception):
    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _index_nodes(root: yaml.Node) -> PositionIndex:
    index = PositionIndex()
    count = 0
    stack: list[tuple[yaml.Node, Location]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise LoadProblem(
                f"the document expands to more than {MAX_NODES} values (too many aliases?); "
                "a routine file should be small",
                _mark(node),
            )
        index.values.setdefault(loc, _mark(node))
        _check_scalar_text(node)
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, Mark] = {}
            for key_node, value_node in node.value:
                _check_scalar_text(key_node)
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key is not None:
                    if key in seen and key != "<<":
                        first = seen[key]
                        raise LoadProblem(
                            f"duplicate key '{key}' (first given on line {first.line}); "
                            "keep only one",
                            _mark(key_node),
                        )
                    seen[key] = _mark(key_node)
                    index.keys.setdefault((*loc, key), _mark(key_node))
                stack.append((value_node, (*loc, key) if key is not None else loc))
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                stack.append((item, (*loc, position)))
    return index


def parse_yaml(text: str) -> tuple[Any, PositionIndex]:
    """The document in ``text`` and where each of its values is written; LoadProblem, with
    the line and column, for anything that is not a safe, well-formed routine document."""
    if _FastRoutineLoader is not None:
        try:
            return _parse_with(_FastRoutineLoader, text)
        except LoadProblem:
            pass  # said again below, as the pure-Python loader says it
    return _parse_with(_RoutineLoader, text)


def _parse_with(loader_class: _LoaderClass, text: str) -> tuple[Any, PositionIndex]:
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise LoadProblem(
            f"the character {_named(exc.character)} is not allowed in YAML; remove it",
            Mark(line, column),
        ) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise LoadProblem(
                "the file is empty; a routine needs name, title and steps", Mark(1, 1)
            )
        index = _index_nodes(root)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.context}, {exc.problem}"
        if "block" in problem or "indentation" in problem:
            problem += "; check the indentation of this line and the one before"
        raise LoadProblem(f"YAML syntax error: {problem}", where) from None
    except yaml.YAMLError as exc:
        raise LoadProblem(f"YAML error: {exc}", Mark(1, 1)) from None
    except RecursionError:
        raise LoadProblem("the YAML is nested too deeply", Mark(1, 1)) from None
    finally:
        loader.dispose()
    return data, index
