"""PyYAML, imported without compiling a pattern on the way that masseur's start does not need.

PyYAML's pure-Python reader compiles, as it is imported, a class of every printable code point:
8-10 ms of the re module's own Python (it builds a 64K-entry table) on every command that
loads a routine, for a pattern that only the pure-Python parser uses, which masseur falls back
to for a file libyaml refuses (PyYAML pull requests #124, #301). The same class, written as the
characters it excludes, compiles in under 1 ms: the re module's cache is given it under the
original's key before PyYAML is imported, so the reader gets it instead. A test checks that
the two match exactly the same characters. Import ``yaml`` from here, never directly.
"""

import re

YAML_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
NON_PRINTABLE = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"


def _precompile() -> None:
    cache = getattr(re, "_cache", None)  # a dict with these keys in Python 3.11 to 3.13
    if isinstance(cache, dict):
        cache.setdefault((str, YAML_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE))


_precompile()
import yaml as yaml  # noqa: E402 (the point of this module: after the cache is given it)
