"""YAML as simulacra reads it: safe types only, and a bound on what aliases may expand to.

`yaml.safe_load` builds no objects but plain ones, yet a 0.5 KB file of nested anchors and aliases
("billion laughs") describes a document of billions of nodes: PyYAML shares the aliased objects,
so loading is cheap, but anything that walks the result (an error message's repr, a deep copy, a
JSON dump) expands it to gigabytes. Study files do use aliases (configs/full.yaml shares one DT
config among learners), so they are allowed, but the document is measured as the tree it expands
to, on the composed node graph before any object is built, and refused past `MAX_NODES` nodes.
Recursive aliases (an anchor inside itself) are refused too. Every failure is a `yaml.YAMLError`,
so callers keep one `except`.
"""

from __future__ import annotations

import reprlib
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

#: Nodes (scalars, lists and mappings, each alias counted as the whole tree it stands for) a
#: document may expand to: configs/full.yaml expands to about 600.
MAX_NODES = 100_000


class YAMLTooLarge(yaml.YAMLError):
    pass


def expanded_size(node: Node, limit: int = MAX_NODES) -> int:
    """The number of nodes `node` stands for once every alias is expanded; YAMLTooLarge past
    `limit` or on a recursive alias. Linear in the composed graph (sizes are memoised)."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(n: Node) -> int:
        if id(n) in sizes:
            return sizes[id(n)]
        if id(n) in open_:
            raise YAMLTooLarge(f"a recursive alias at {n.start_mark.line + 1}:"
                               f"{n.start_mark.column + 1} (a value that contains itself)")
        open_.add(id(n))
        total = 1
        if isinstance(n, SequenceNode):
            children: list[Node] = list(n.value)
        elif isinstance(n, MappingNode):
            children = [x for pair in n.value for x in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                raise YAMLTooLarge(f"the document expands to more than {limit:,} values "
                                   "through its aliases (a 'billion laughs' file?)")
        open_.discard(id(n))
        sizes[id(n)] = total
        return total

    return size(node)


class BoundedLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a document expanding past MAX_NODES."""

    def compose_document(self) -> Node:
        node = super().compose_document()
        expanded_size(node)
        return node


def load(text: str) -> Any:
    """Parse one YAML document (safe types only, bounded expansion); raises yaml.YAMLError."""
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        raise YAMLTooLarge("the document nests too deeply") from None
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        raise YAMLTooLarge(f"a value cannot be read: {str(err)[:200]}") from None
    finally:
        loader.dispose()


_brief = reprlib.Repr()
_brief.maxstring = _brief.maxother = 40
_brief.maxlist = _brief.maxtuple = _brief.maxdict = _brief.maxset = 4
_brief.maxlevel = 3


def brief(value: Any) -> str:
    """repr(value), cut short: what an error message may show of a value read from a file."""
    return _brief.repr(value)
