"""Coded hierarchies: the matter tree (事项分类) and the area tree (行政区划).

Ancestor chains are precomputed tuples so the router walks them with no search.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from routing.glossary import AREA_LEVEL_DEPTH, AreaLevel


class TreeError(ValueError):
    """The nodes do not form a tree (duplicate code, dangling parent, cycle, bad level)."""


class UnknownCode(KeyError):
    """A code that is not in the tree."""

    def __init__(self, code: str, tree_label: str = "编码树") -> None:
        super().__init__(code)
        self.code = code
        self.message = f"{tree_label}中没有编码 {code!r}"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class TreeNode:
    """One node of a coded tree; roots have no parent."""

    code: str
    name: str
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class AreaNode:
    """One node of the area tree, with its administrative level."""

    code: str
    name: str
    parent_code: str | None
    level: AreaLevel


class CodeTree:
    """A forest of coded nodes with precomputed ancestor chains."""

    label = "编码树"

    def __init__(self, nodes: Iterable[TreeNode | AreaNode]) -> None:
        self._names: dict[str, str] = {}
        self._parents: dict[str, str | None] = {}
        for node in nodes:
            if node.code in self._names:
                raise TreeError(f"{self.label}中编码 {node.code!r} 重复")
            self._names[node.code] = node.name
            self._parents[node.code] = node.parent_code
        children: dict[str, list[str]] = {code: [] for code in self._names}
        for code, parent in self._parents.items():
            if parent is None:
                continue
            if parent not in self._names:
                raise TreeError(f"{self.label}中编码 {code!r} 的上级 {parent!r} 不存在")
            children[parent].append(code)
        self._children: dict[str, tuple[str, ...]] = {
            code: tuple(kids) for code, kids in children.items()
        }
        self._ancestors: dict[str, tuple[str, ...]] = {}
        for code in self._names:
            self._chain(code)

    def _chain(self, code: str) -> tuple[str, ...]:
        # Iterative walk so a 10,000-deep chain cannot hit the recursion limit.
        pending: list[str] = []
        seen: set[str] = set()
        current: str | None = code
        while current is not None and current not in self._ancestors:
            if current in seen:
                raise TreeError(f"{self.label}中编码 {current!r} 处存在循环上级关系")
            seen.add(current)
            pending.append(current)
            current = self._parents[current]
        tail: tuple[str, ...] = () if current is None else self._ancestors[current]
        for item in reversed(pending):
            tail = (item, *tail)
            self._ancestors[item] = tail
        return self._ancestors[code]

    def _require(self, code: str) -> None:
        if code not in self._names:
            raise UnknownCode(code, self.label)

    def __contains__(self, code: object) -> bool:
        return code in self._names

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def name(self, code: str) -> str:
        try:
            return self._names[code]
        except KeyError:
            raise UnknownCode(code, self.label) from None

    def parent(self, code: str) -> str | None:
        try:
            return self._parents[code]
        except KeyError:
            raise UnknownCode(code, self.label) from None

    def ancestors(self, code: str) -> tuple[str, ...]:
        """The chain from the node itself (first) up to its root (last)."""
        try:
            return self._ancestors[code]
        except KeyError:
            raise UnknownCode(code, self.label) from None

    def depth(self, code: str) -> int:
        """0 for a root."""
        return len(self.ancestors(code)) - 1

    def children(self, code: str) -> tuple[str, ...]:
        try:
            return self._children[code]
        except KeyError:
            raise UnknownCode(code, self.label) from None

    def is_leaf(self, code: str) -> bool:
        return not self.children(code)

    def leaves(self) -> tuple[str, ...]:
        return tuple(code for code, kids in self._children.items() if not kids)

    def roots(self) -> tuple[str, ...]:
        return tuple(code for code, parent in self._parents.items() if parent is None)

    def under(self, roots: Iterable[str]) -> frozenset[str]:
        """Every code that descends from one of `roots` (itself included); a root the tree does
        not hold is no root."""
        held = {root for root in roots if root in self}
        return frozenset(code for code in self if held & set(self.ancestors(code)))

    def descends_from(self, code: str, ancestor: str) -> bool:
        """True when `ancestor` is on the chain of `code` (a node descends from itself)."""
        self._require(ancestor)
        return ancestor in self.ancestors(code)


class MatterTree(CodeTree):
    """事项分类."""

    label = "事项分类"


class AreaTree(CodeTree):
    """行政区划: city > district > street > community > grid."""

    label = "行政区划"

    def __init__(self, nodes: Iterable[AreaNode]) -> None:
        area_nodes = list(nodes)
        super().__init__(area_nodes)
        self._levels: dict[str, AreaLevel] = {node.code: node.level for node in area_nodes}
        for node in area_nodes:
            if node.parent_code is None:
                continue
            parent_level = self._levels[node.parent_code]
            if AREA_LEVEL_DEPTH[node.level] <= AREA_LEVEL_DEPTH[parent_level]:
                raise TreeError(
                    f"行政区划中 {node.code!r}（{node.level.value}）的层级不低于其上级 "
                    f"{node.parent_code!r}（{parent_level.value}）"
                )
        self._districts: dict[str, str | None] = {}
        self._streets: dict[str, str | None] = {}
        for code in self._names:
            chain = self._ancestors[code]
            self._districts[code] = self._first_at(chain, AreaLevel.DISTRICT)
            self._streets[code] = self._first_at(chain, AreaLevel.STREET)

    def _first_at(self, chain: tuple[str, ...], level: AreaLevel) -> str | None:
        for code in chain:
            if self._levels[code] is level:
                return code
        return None

    def level(self, code: str) -> AreaLevel:
        try:
            return self._levels[code]
        except KeyError:
            raise UnknownCode(code, self.label) from None

    def district_of(self, code: str) -> str | None:
        """The district containing `code` (itself if a district); None above district level."""
        try:
            return self._districts[code]
        except KeyError:
            raise UnknownCode(code, self.label) from None

    def street_of(self, code: str) -> str | None:
        """The street/town containing `code` (itself if a street); None above street level."""
        try:
            return self._streets[code]
        except KeyError:
            raise UnknownCode(code, self.label) from None
