"""The node types that menu trees are made of. `menus/` builds trees from these and nothing else.

Display numbers come from order at render time; ids are stable and make up the address used by the command line,
`--auto` and logs (`production.token.manual`). `0` is Back, or Exit at the root: a rule of the engine, not of a menu.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Union


@dataclass(frozen=True)
class Leaf:
    """An item that runs one action (an id from `op_trading.actions.ACTIONS`)."""

    id: str
    title: str
    action: str
    params: Mapping[str, Any] = field(default_factory=dict)
    # Setting names that must have a value, or "token" for a valid Kite token; unmet ones disable the item.
    requires: tuple[str, ...] = ()
    help: str = ""
    hidden: bool = False  # not shown or numbered; reachable by id (sequences, `run`)


@dataclass(frozen=True)
class Configure:
    """An item that asks the given wizard fields (current value kept on Enter) and writes them to `.env`.

    `only_if` asks a field only when another field's value (answered just before, else the current setting)
    is or contains a given value: ``{"INFLUXDB_URL": ("STORAGE_SINKS", "influxdb")}``. `note` is added to the
    item's result, e.g. where to change the settings it did not ask.
    """

    id: str
    title: str
    fields: tuple[str, ...]
    help: str = ""
    hidden: bool = False
    only_if: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    note: str = ""
    save_overrides: bool = False  # also save every `--set` value, asked or not


@dataclass(frozen=True)
class Sequence:
    """An item that runs other items in order, by id path relative to the menu that holds it (or absolute)."""

    id: str
    title: str
    steps: tuple[str, ...]
    help: str = ""
    stop_on_failure: bool = False
    hidden: bool = False


@dataclass(frozen=True)
class Menu:
    id: str
    title: str
    items: tuple["Node", ...]
    help: str = ""


Node = Union[Leaf, Configure, Sequence, Menu]


def visible(menu: Menu) -> tuple[Node, ...]:
    """The items a user sees, numbered 1..N in this order."""
    return tuple(item for item in menu.items if not getattr(item, "hidden", False))


def walk(node: Node, prefix: str = "") -> Iterator[tuple[str, Node]]:
    """Every node with its full id path, depth first (the root's own id is left out of paths)."""
    path = f"{prefix}.{node.id}" if prefix else node.id
    yield path, node
    if isinstance(node, Menu):
        for item in node.items:
            yield from walk(item, path)


def find(root: Menu, path: str) -> Node:
    """The node at an id path such as ``setup.requirements`` (paths start below the root)."""
    node: Node = root
    for part in path.split("."):
        if not isinstance(node, Menu):
            raise KeyError(path)
        matches = [item for item in node.items if item.id == part]
        if not matches:
            raise KeyError(path)
        node = matches[0]
    return node


def resolve_step(root: Menu, menu_path: str, step: str) -> str:
    """A Sequence step id made absolute: relative to the menu holding the sequence, unless it starts at the root."""
    candidate = f"{menu_path}.{step}" if menu_path else step
    try:
        find(root, candidate)
        return candidate
    except KeyError:
        find(root, step)
        return step


def all_paths(root: Menu) -> dict[str, Node]:
    return {path.split(".", 1)[1]: node for path, node in walk(root) if "." in path}
