"""Finding the 行政区划 an address or an appeal's text lies in, from the area names it mentions."""

from __future__ import annotations

from routing.glossary import AREA_LEVEL_DEPTH
from routing.tree import AreaTree


def area_in_address(areas: AreaTree, address: str | None, *, min_depth: int = 0) -> str | None:
    """The most specific area named in `address`, or None; None too when what can be told is
    above `min_depth` (AREA_LEVEL_DEPTH: 2 asks for a street or finer).

    Community names repeat across streets (two 翠苑社区), so a candidate whose whole chain is
    named in the address ("江城区南湖街道翠苑社区") beats one matched on its own name only;
    then the deeper area wins, then the longer name; equal readings give their common area.
    """
    text = "".join((address or "").split())
    if not text:
        return None
    best: tuple[int, int, int] | None = None
    tied: list[str] = []
    for code in areas:
        name = areas.name(code)
        if not name or name not in text:
            continue
        chain = areas.ancestors(code)
        named = sum(1 for ancestor in chain if areas.name(ancestor) in text)
        score = (named, AREA_LEVEL_DEPTH[areas.level(code)], len(name))
        if best is None or score > best:
            best, tied = score, [code]
        elif score == best:
            tied.append(code)
    found: str | None = tied[0] if len(tied) == 1 else None
    if len(tied) > 1:
        # Equally good readings: only the part of the tree they share is certain.
        shared = set(areas.ancestors(tied[0]))
        for code in tied[1:]:
            shared &= set(areas.ancestors(code))
        found = next((code for code in areas.ancestors(tied[0]) if code in shared), None)
    if found is None or AREA_LEVEL_DEPTH[areas.level(found)] < min_depth:
        return None
    return found
