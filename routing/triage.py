"""Intake triage: not accepted, emergency transfer, legal-route referral, and duplicate detection.

The rules are data (routing/data/triage_rules.json) so a city can edit them without a release.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

from routing import fold, segment
from routing.emergency_model import EmergencyModel, Verdict
from routing.glossary import TriageOutcome
from routing.ngram_model import NgramModel
from routing.tree import CodeTree
from routing.workflow import MergeFacts, merge_ground

DEFAULT_RULES_PATH = Path(__file__).parent / "data" / "triage_rules.json"
# The route model's class for a contact nobody can act on; its other classes that triage acts
# on are the legal routes of the rules (the rest, ordinary and emergency, it never acts on).
NOT_ACCEPTED = "not_accepted"
ROUTE_MODEL = "route_model"

_WHITESPACE = re.compile(r"\s+")


@cache
def _pattern(source: str) -> re.Pattern[str]:
    """A rule's pattern, compiled once per process: the rules hold more patterns than the re
    module's own cache (512), so each load used to compile all of them again (80 ms, not 1)."""
    return re.compile(source)


_SUBSTANTIVE_CHAR = re.compile(r"[0-9a-z\u4e00-\u9fff]")
# A masked span must not let the words on either side join into a false match.
_MASK = "■"


@dataclass(frozen=True, slots=True)
class Matcher:
    """Literal words and regular expressions, with masks blanked out of the text before matching."""

    words: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    masks: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> Matcher:
        # Text is matched without its whitespace (normalise), so words and patterns lose
        # theirs too: "not breathing" must meet "notbreathing".
        return cls(
            words=tuple(_WHITESPACE.sub("", w).lower() for w in d.get("words", ())),
            patterns=tuple(_pattern(_WHITESPACE.sub("", p)) for p in d.get("patterns", ())),
            masks=tuple(_pattern(_WHITESPACE.sub("", p)) for p in d.get("masks", ())),
        )

    def longest_match(self, text: str) -> str | None:
        """The longest word or pattern match in `text` (already normalised), masks applied."""
        for mask in self.masks:
            text = mask.sub(lambda m: _MASK * len(m.group(0)), text)
        found: list[str] = [w for w in self.words if w in text]
        for pattern in self.patterns:
            match = pattern.search(text)
            if match:
                found.append(match.group(0))
        return max(found, key=len) if found else None


@dataclass(frozen=True, slots=True)
class EmergencyRule:
    """A transfer to 110 / 119 / 120 / 122."""

    service: str
    label_zh: str
    matcher: Matcher
    # When several services match, the higher priority leads: a fight with a wound is for 110,
    # which brings 120 along; a crash with a wound is for 120 rather than 122.
    priority: int = 0
    # Signs of the danger (抢走, 误喝, 漏气) that make a report only together with a sign that it
    # is happening now (刚才, 还在, 止不住: TriageRules.emergency_now); the rule's masks apply.
    signs: Matcher = Matcher()


@dataclass(frozen=True, slots=True)
class LegalRoute:
    """A matter that the law routes elsewhere (告知法定途径), with the guidance to read out."""

    route: str
    label_zh: str
    matcher: Matcher
    guidance_zh: str


@dataclass(frozen=True, slots=True)
class NotAcceptedRules:
    """What makes a contact not accepted (无效 / 不予受理)."""

    min_substantive_chars: int
    abusive_words: tuple[str, ...]
    # Insults that a literal word would over-match (sb inside usb, 垃圾 before 12345 or after 倒).
    abusive_patterns: tuple[re.Pattern[str], ...]
    # Abuse with a real problem in it is still accepted: only abuse with little else is refused.
    abuse_min_remaining_chars: int
    meaningless_patterns: tuple[re.Pattern[str], ...]
    # Words that are a whole appeal however short the message (欠薪, 停水): not "too short".
    short_appeal_words: tuple[str, ...] = ()
    # Jokes and harassment of the operator, which no words around them make an appeal.
    trolling_patterns: tuple[re.Pattern[str], ...] = ()
    # Private or recreational requests no government service answers (a spouse's phone, a game).
    outside_remit_patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class TriageRules:
    emergency: tuple[EmergencyRule, ...]
    emergency_masks: tuple[re.Pattern[str], ...]
    # What says a danger is happening now: paired with a rule's signs.
    emergency_now: Matcher
    # The second look, when no rule above matched: each service's wider lexicon of dangers
    # (晕倒, 被困, 撞倒, 追着我...), believed unless the message reads as calm: a complaint, a
    # question, a wish, something habitual, past or hypothetical (emergency_calm).
    emergency_broad: tuple[EmergencyRule, ...]
    emergency_calm: Matcher
    legal_routes: tuple[LegalRoute, ...]
    not_accepted: NotAcceptedRules
    # The third look, when neither rules nor lexicon matched a message that is not calm: a
    # model learned from labelled examples (emergency_model.py), believed at this probability.
    emergency_model: EmergencyModel | None = None
    emergency_model_threshold: float = 1.0
    # What the model is not asked about: situations the centre dispatches unless a rule above
    # reads a danger in them (someone stuck in a lift goes to its maintainer, one hurt in it
    # to 120: the rules say which).
    emergency_model_leaves_to_rules: tuple[re.Pattern[str], ...] = ()
    # The model learned Chinese: a message mostly in another language is left to the rules
    # (it would read "a pothole on Main Street" by its letters alone).
    emergency_model_min_chinese_share: float = 0.5
    # The last look, when every rule and the emergency looks gave nothing: a model learned from
    # labelled messages (route_model.json) whose likeliest class, a legal route or not_accepted,
    # decides when its probability reaches that class's threshold (route_model_thresholds) or
    # else route_model_threshold.
    route_model: NgramModel | None = None
    route_model_threshold: float = 1.0
    route_model_thresholds: Mapping[str, float] = field(default_factory=dict)
    route_model_min_chinese_share: float = 0.5
    # Messages the route model is not asked about (route_model.leave_to_rules): the whole
    # message is a kind it reads wrongly and no rule refers, such as when a petitions office opens.
    route_model_leaves_to_rules: tuple[re.Pattern[str], ...] = ()
    # Where a message turns, late, from its appeal to what is happening as it is written
    # (……先不说了，我刚发现…; 写到这里的时候从窗户看到…; ……算了 我老公现在在打我妈): the
    # rules and the wider lexicon read what follows the turn again on its own, so that the
    # appeal's own calm (咨询, 建议, 上周) does not hide it (decisions.late_turn).
    emergency_turns: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any], base: Path | None = None) -> TriageRules:
        """The rules of a mapping; `base` is the folder a model's file name is relative to."""
        na = d.get("not_accepted", {})
        model = d.get("emergency_model") or {}
        routes = d.get("route_model") or {}
        legal_routes = tuple(
            LegalRoute(r["route"], r["label_zh"], Matcher.from_mapping(r), r["guidance_zh"])
            for r in d.get("legal_routes", ())
        )
        acted_on = {r.route for r in legal_routes} | {NOT_ACCEPTED}
        route_thresholds = {
            str(label): _probability(value) for label, value in routes.get("thresholds", {}).items()
        }
        if unknown := sorted(set(route_thresholds) - acted_on):
            raise ValueError(f"the route model has thresholds for no route: {', '.join(unknown)}")
        folder = base or DEFAULT_RULES_PATH.parent
        emergency_model = (
            _load_model(folder / str(model["path"]), EmergencyModel, "an emergency model")
            if model.get("path")
            else None
        )
        route_model = (
            _load_model(folder / str(routes["path"]), NgramModel, "a route model")
            if routes.get("path")
            else None
        )
        if route_model is not None and not acted_on & set(route_model.classes):
            raise ValueError("the route model has no class that is a legal route or not_accepted")
        return cls(
            emergency=tuple(
                EmergencyRule(
                    str(e["service"]),
                    e["label_zh"],
                    Matcher.from_mapping(e),
                    int(e.get("priority", 0)),
                    Matcher.from_mapping(
                        {"words": e.get("signs", ()), "masks": e.get("masks", ())}
                    ),
                )
                for e in d.get("emergency", ())
            ),
            emergency_masks=tuple(_pattern(p) for p in d.get("emergency_masks", ())),
            emergency_now=Matcher.from_mapping(d.get("emergency_now", {})),
            emergency_broad=tuple(
                EmergencyRule(
                    str(e["service"]),
                    e["label_zh"],
                    Matcher.from_mapping(e),
                    int(e.get("priority", 0)),
                )
                for e in d.get("emergency_broad", ())
            ),
            emergency_calm=Matcher.from_mapping(d.get("emergency_calm", {})),
            legal_routes=legal_routes,
            not_accepted=NotAcceptedRules(
                min_substantive_chars=int(na.get("min_substantive_chars", 4)),
                abusive_words=tuple(w.lower() for w in na.get("abusive_words", ())),
                abusive_patterns=tuple(_pattern(p) for p in na.get("abusive_patterns", ())),
                abuse_min_remaining_chars=int(na.get("abuse_min_remaining_chars", 8)),
                meaningless_patterns=tuple(_pattern(p) for p in na.get("meaningless_patterns", ())),
                short_appeal_words=tuple(w.lower() for w in na.get("short_appeal_words", ())),
                trolling_patterns=tuple(_pattern(p) for p in na.get("trolling_patterns", ())),
                outside_remit_patterns=tuple(
                    _pattern(p) for p in na.get("outside_remit_patterns", ())
                ),
            ),
            emergency_model=emergency_model,
            emergency_model_threshold=_probability(model.get("threshold", 1.0)),
            emergency_model_leaves_to_rules=tuple(
                _pattern(p) for p in model.get("leave_to_rules", ())
            ),
            emergency_model_min_chinese_share=float(model.get("min_chinese_share", 0.5)),
            route_model=route_model,
            route_model_threshold=_probability(routes.get("threshold", 1.0)),
            route_model_thresholds=route_thresholds,
            route_model_min_chinese_share=float(routes.get("min_chinese_share", 0.5)),
            route_model_leaves_to_rules=tuple(
                _pattern(p) for p in routes.get("leave_to_rules", ())
            ),
            emergency_turns=tuple(
                _pattern(_WHITESPACE.sub("", p))
                for p in (d.get("emergency_turns") or {}).get("patterns", ())
            ),
        )

    @classmethod
    def load(cls, path: Path) -> TriageRules:
        return cls.from_mapping(json.loads(path.read_text(encoding="utf-8")), path.parent)

    def label_of(self, service: str) -> str:
        """How the rules name a service's emergencies (医疗急救 for 120...)."""
        return next((r.label_zh for r in self.emergency if r.service == service), service)

    @classmethod
    def load_default(cls) -> TriageRules:
        return cls.load(DEFAULT_RULES_PATH)


def _probability(value: Any) -> float:
    threshold = float(value)
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"a model's threshold must be in (0, 1], not {value!r}")
    return threshold


_M = TypeVar("_M", bound=NgramModel)
# The classes a model file is read as, by name: what the cache below keys on.
_MODEL_KINDS: dict[str, type[NgramModel]] = {"emergency": EmergencyModel, "ngram": NgramModel}


@lru_cache(maxsize=4)
def _model_file(kind: str, path: Path, _modified_ns: int, _size: int) -> NgramModel:
    return _MODEL_KINDS[kind].load(path)


def _load_model(path: Path, kind: type[_M], what: str) -> _M:
    """Read once per process and file version: rules are loaded often, the models are large."""
    if not path.is_file():
        raise ValueError(f"the triage rules name {what} {path} that does not exist")
    status = path.stat()
    name = next(name for name, known in _MODEL_KINDS.items() if known is kind)
    model = _model_file(name, path, status.st_mtime_ns, status.st_size)
    assert isinstance(model, kind)
    return model


@dataclass(frozen=True, slots=True)
class TriageResult:
    """outcome None means: continue to the duplicate check and dispatch."""

    outcome: TriageOutcome | None
    service: str | None
    route: str | None
    reason_zh: str
    guidance_zh: str | None
    matched: str | None
    # The model's probability, when a model's reading (not a rule) decided: the emergency
    # model's for a transfer, the route model's for a referral or a refusal.
    probability: float | None = None


def normalise(text: str) -> str:
    """Folded (half-width, simplified: routing/fold.py), lower-cased, without whitespace."""
    return _WHITESPACE.sub("", fold.fold(text)).lower()


def chinese_share(text: str) -> float:
    """The share of ideographs among the letters and ideographs (digits belong to no language;
    0 when there are none)."""
    letters = [c for c in _SUBSTANTIVE_CHAR.findall(text.lower()) if not c.isdigit()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if "\u4e00" <= c <= "\u9fff") / len(letters)


def substantive_chars(text: str) -> int:
    """Characters that can carry content: ideographs, letters, digits."""
    return len(_SUBSTANTIVE_CHAR.findall(text.lower()))


def _refuse(reason: str, matched: str | None = None) -> TriageResult:
    return TriageResult(TriageOutcome.NOT_ACCEPTED, None, None, reason, None, matched)


# Keys in a keyboard row: "asdkjh" and "qwe" are mashed, "power out" and "no water" are not.
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_LATIN_WORD = re.compile(r"[a-z]+")
_NOT_LATIN_CONTENT = re.compile(r"[^a-z\W\d_啊嗯哦呃哈]")


def _mashed(word: str) -> bool:
    """A Latin word typed by running over the keys: no vowel at all, or all of it in one
    keyboard row starting with three neighbouring keys."""
    if len(word) >= 3 and not any(v in word for v in "aeiouy"):
        return True
    return len(word) >= 3 and any(
        word[:3] in row and all(c in row for c in word) for row in _KEYBOARD_ROWS
    )


def latin_mash(text: str) -> bool:
    """Whether a message is only mashed Latin words, punctuation, digits and fillers (asdkjh ;;;
    啊啊啊 qwe): read on the text as typed, where spaces still part the words, with full-width
    forms folded (ｊｊｊｋｋ；；；１１２ is jjjkk;;;112)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    words = _LATIN_WORD.findall(folded)
    return bool(words) and not _NOT_LATIN_CONTENT.search(folded) and all(map(_mashed, words))


def _meaningless(text: str, rules: NotAcceptedRules) -> TriageResult | None:
    if not text:
        return _refuse("诉求内容为空，不予受理。")
    for pattern in rules.meaningless_patterns:
        if pattern.fullmatch(text):
            return _refuse("诉求内容无实际意义（仅含标点、数字、问候或测试内容），不予受理。", text)
    return None


_LAUGHTER = re.compile(r"[哈呵嘿嘻啊哦嗯呃]+")


def content_chars(text: str) -> int:
    """Characters of the words that carry content: filler such as 你们都是 and laughter
    (哈哈哈) do not count."""
    return sum(len(word) for word in segment.tokens(text) if not _LAUGHTER.fullmatch(word))


def _not_accepted(text: str, rules: NotAcceptedRules) -> TriageResult | None:
    for pattern in rules.trolling_patterns:
        if match := pattern.search(text):
            reason = "来电内容为玩笑或对话务人员的骚扰，与政务服务无关，不予受理。"
            return _refuse(reason, match.group(0))
    for pattern in rules.outside_remit_patterns:
        if match := pattern.search(text):
            reason = "该诉求属个人私事或娱乐咨询，不属于政务服务热线受理范围，不予受理。"
            return _refuse(reason, match.group(0))
    abusive = [w for w in rules.abusive_words if w in text]
    abusive += [m.group(0) for p in rules.abusive_patterns for m in p.finditer(text)]
    if abusive:
        remaining = text
        # Longest first: a pattern's match may hold a word also found alone (吃干饭的).
        for word in sorted(abusive, key=len, reverse=True):
            remaining = remaining.replace(word, _MASK)
        # Pronouns and particles around the insults (你们都是……吧) are no problem to solve;
        # a word that is a whole appeal (卧槽，又停电了) is.
        if content_chars(remaining) < rules.abuse_min_remaining_chars and not any(
            word in remaining for word in rules.short_appeal_words
        ):
            return _refuse("来电内容以辱骂、骚扰为主，无具体诉求，不予受理。", abusive[0])
    if substantive_chars(text) < rules.min_substantive_chars and not any(
        word in text for word in rules.short_appeal_words
    ):
        return _refuse("诉求内容过短，缺少具体事实和诉求，不予受理。", text)
    return None


def _emergency(text: str, rules: TriageRules) -> TriageResult | None:
    found = _emergency_reading(text, rules, ask_model=True)
    if found is None:
        # A message that turns late to a danger now: what follows each turn, read on its own
        # by the rules and the wider lexicon (not the model, which learned whole messages).
        for tail in turned_tails(text, rules):
            found = _emergency_reading(tail, rules, ask_model=False)
            if found is not None:
                break
    return found


def turned_tails(text: str, rules: TriageRules) -> list[str]:
    """What follows each turn (rules.emergency_turns) in `text` (normalised), the longest
    first; nothing when the message has no turn."""
    ends = sorted({m.end() for turn in rules.emergency_turns for m in turn.finditer(text)})
    return [text[end:] for end in ends if end < len(text)]


def _emergency_reading(text: str, rules: TriageRules, *, ask_model: bool) -> TriageResult | None:
    # Calm is read on the whole message: the masks below blank out the very past and
    # hypothetical clauses ("上个月被车撞了") that show a message is not a call for help now.
    calm = rules.emergency_calm.longest_match(text) is not None
    text = masked(text, rules)
    now = rules.emergency_now.longest_match(text)
    best = None
    # A calm message (a question, a complaint, something habitual or past) is no emergency,
    # unless it also says the danger is happening now (还在, 刚才, 快来人).
    if not calm or now is not None:
        best = _strongest((rule, _precise_match(rule, text, now)) for rule in rules.emergency)
    # A bare cry for help (priority below 0: 救命 and nothing else) gives way to what the
    # wider lexicon recognises (救命 + 被砖头压着 is a rescue for 119, not a case for 110).
    bare_cry = best is not None and best[1].priority < 0
    if (best is None or bare_cry) and _wider_look_barred(calm, text, rules) is None:
        wider = _strongest(
            (rule, rule.matcher.longest_match(text)) for rule in rules.emergency_broad
        )
        if wider is not None or not bare_cry:
            best = wider
        if best is None and ask_model and rules.emergency_model is not None:
            # Masked as the rules read it: a past clause or a fire already out says nothing
            # of a danger now (the damping keeps what is left from reading as sure).
            return _model_emergency(text, rules)
    if best is None:
        return None
    matched, rule = best
    return _transfer(rule.service, rule.label_zh, matched)


def _wider_look_barred(calm: bool, masked_text: str, rules: TriageRules) -> str | None:
    """Why neither the wider lexicon nor the model may read a message (None: they may)."""
    if calm:
        return "the message reads as calm (emergency_calm)"
    # A bare "着火" is too short to act on: the wider looks need a report around their word.
    if substantive_chars(masked_text) < rules.not_accepted.min_substantive_chars:
        return "too short to act on"
    return None


def _transfer(
    service: str, label: str, matched: str | None, probability: float | None = None
) -> TriageResult:
    return TriageResult(
        TriageOutcome.EMERGENCY,
        service,
        None,
        f"涉及紧急情况（{label}），请立即转接{service}。",
        None,
        matched,
        probability,
    )


def masked(text: str, rules: TriageRules) -> str:
    """The normalised text with its past, hypothetical and negated clauses blanked out."""
    for mask in rules.emergency_masks:
        text = mask.sub(lambda m: _MASK * len(m.group(0)), text)
    return text


def model_reading(text: str, rules: TriageRules) -> Verdict | None:
    """What the emergency model reads in `text`, as triage would put it to the model."""
    if rules.emergency_model is None:
        return None
    return rules.emergency_model.read(masked(normalise(text), rules))


def _model_emergency(text: str, rules: TriageRules) -> TriageResult | None:
    """The model's reading of a message neither the rules nor the lexicon matched; the
    evidence it gives is the n-grams that weighed most."""
    assert rules.emergency_model is not None
    if _kept_from_model(text, rules):
        return None
    verdict = rules.emergency_model.read(text, evidence_from=rules.emergency_model_threshold)
    if verdict.probability < rules.emergency_model_threshold:
        return None
    return _transfer(
        verdict.service,
        rules.label_of(verdict.service),
        "、".join(verdict.evidence) or None,
        round(verdict.probability, 4),
    )


def _kept_from_model(text: str, rules: TriageRules) -> str | None:
    if any(pattern.search(text) for pattern in rules.emergency_model_leaves_to_rules):
        return "left to the rules (leave_to_rules)"
    na = rules.not_accepted
    if any(p.search(text) for p in (*na.trolling_patterns, *na.outside_remit_patterns)):
        # A joke or a private request (查前女友的手机号) is no message for the model to read
        # dangers into; the rules and the lexicon, which name a danger, still read it.
        return "a joke or a private request (trolling_patterns, outside_remit_patterns)"
    if any(route.matcher.longest_match(text) for route in rules.legal_routes):
        # An inheritance dispute read 0.82 for 110 in 我、女、着: a legal route is no danger.
        return "a legal-route matter (legal_routes)"
    if chinese_share(text) < rules.emergency_model_min_chinese_share:
        return "not mostly Chinese (min_chinese_share)"
    return None


def model_not_asked(text: str, rules: TriageRules) -> str | None:
    """Why the emergency model would not be asked about `text`, even with no rule matching
    (None: it would be)."""
    if rules.emergency_model is None:
        return "no model in the rules"
    normalised = normalise(text)
    blanked = masked(normalised, rules)
    calm = rules.emergency_calm.longest_match(normalised) is not None
    return _wider_look_barred(calm, blanked, rules) or _kept_from_model(blanked, rules)


def _precise_match(rule: EmergencyRule, text: str, now: str | None) -> str | None:
    matched = rule.matcher.longest_match(text)
    if matched is None and now is not None:
        sign = rule.signs.longest_match(text)
        matched = f"{sign}…{now}" if sign else None
    return matched


def _strongest(
    candidates: Iterable[tuple[EmergencyRule, str | None]],
) -> tuple[str, EmergencyRule] | None:
    """Priority first, then the longest evidence decides; ties keep file order."""
    best: tuple[tuple[int, int], str, EmergencyRule] | None = None
    for rule, matched in candidates:
        if matched:
            key = (rule.priority, len(matched))
            if best is None or key > best[0]:
                best = (key, matched, rule)
    return None if best is None else (best[1], best[2])


def _route_result(route: LegalRoute, matched: str | None) -> TriageResult:
    return TriageResult(
        TriageOutcome.REFERRAL,
        None,
        route.route,
        f"该诉求属于{route.label_zh}事项，依法应通过法定途径解决，告知诉求人办理途径。",
        route.guidance_zh,
        matched,
    )


def _legal_route(
    text: str,
    rules: TriageRules,
    matter_code: str | None,
    legal_route_matters: Collection[str] | Mapping[str, str | None],
) -> TriageResult | None:
    for route in rules.legal_routes:
        matched = route.matcher.longest_match(text)
        if matched:
            return _route_result(route, matched)
    if matter_code is not None and matter_code in legal_route_matters:
        # A mapping names the route of each legal-route matter; a plain set means "some route".
        named = (
            legal_route_matters.get(matter_code)
            if isinstance(legal_route_matters, Mapping)
            else None
        )
        for route in rules.legal_routes:
            if route.route == named:
                return _route_result(route, None)
        return TriageResult(
            TriageOutcome.REFERRAL,
            None,
            named,
            "该事项依法应通过法定途径解决，告知诉求人办理途径。",
            None,
            None,
        )
    return None


def route_model_threshold(label: str, rules: TriageRules) -> float | None:
    """The probability at which the route model's reading `label` is believed (None: a class
    it is never believed in, ordinary or emergency)."""
    if label != NOT_ACCEPTED and not any(r.route == label for r in rules.legal_routes):
        return None
    return rules.route_model_thresholds.get(label, rules.route_model_threshold)


def route_model_not_asked(text: str, rules: TriageRules) -> str | None:
    """Why the route model would not be asked about `text`, were every rule to give nothing
    (None: it would be)."""
    if rules.route_model is None:
        return "no route model in the rules"
    normal = normalise(text)
    if chinese_share(normal) < rules.route_model_min_chinese_share:
        return "not mostly Chinese (min_chinese_share)"
    if any(pattern.search(normal) for pattern in rules.route_model_leaves_to_rules):
        return "left to the rules (route_model.leave_to_rules)"
    return None


def _route_model(text: str, rules: TriageRules) -> TriageResult | None:
    """The route model's reading of a message every rule left to dispatch: a legal route or
    not accepted when the model is that sure of it (decisions.route_model_last_look)."""
    if rules.route_model is None or route_model_not_asked(text, rules):
        return None
    probabilities = rules.route_model.probabilities(text)
    label = max(probabilities, key=lambda c: probabilities[c])
    threshold = route_model_threshold(label, rules)
    if threshold is None or probabilities[label] < threshold:
        return None
    probability = round(probabilities[label], 4)
    if label == NOT_ACCEPTED:
        reason = "诉求内容经判断不涉及任何单位可以办理的具体事项，不予受理。"
        return TriageResult(
            TriageOutcome.NOT_ACCEPTED, None, None, reason, None, ROUTE_MODEL, probability
        )
    route = next(r for r in rules.legal_routes if r.route == label)
    return replace(_route_result(route, ROUTE_MODEL), probability=probability)


def triage(
    text: str,
    rules: TriageRules,
    matter_code: str | None = None,
    legal_route_matters: Collection[str] | Mapping[str, str | None] = (),
) -> TriageResult:
    """Meaningless contacts first, then emergency, then not accepted, then legal route, then
    the route model's reading; otherwise continue (outcome None).

    A short or angry contact that reports a danger now (着火了) is still transferred: the
    emergency check comes before the too-short and abuse checks, not before the noise check.

    `legal_route_matters` lists matter codes that are always a referral; a mapping from matter
    code to route name also says which guidance to give.
    """
    normalised = normalise(text)
    if latin_mash(text):
        return _refuse("诉求内容无实际意义（乱码或随手敲击的字母），不予受理。", normalised)
    return (
        _meaningless(normalised, rules.not_accepted)
        or _emergency(normalised, rules)
        or _not_accepted(normalised, rules.not_accepted)
        or _legal_route(normalised, rules, matter_code, legal_route_matters)
        or _route_model(normalised, rules)
        or TriageResult(None, None, None, "未触发分诊规则，继续查重与派单。", None, None)
    )


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    """A recent ticket the new appeal may repeat."""

    ticket_id: int
    number: str
    requester_phone: str | None
    area_code: str | None
    matter_code: str | None
    text: str
    accepted_at: datetime
    open: bool


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    ticket_id: int
    number: str
    similarity: float
    reason_zh: str
    open: bool


def _phone_key(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = "".join(c for c in phone if c.isascii() and c.isdigit())
    # +86 / 0086 prefixes and separators must not hide the same caller.
    return digits[-11:] if len(digits) >= 11 else digits or None


@lru_cache(maxsize=8192)
def text_features(text: str) -> frozenset[str]:
    """The characters of the text's substantive words (stop words, punctuation, numbers gone).

    Characters rather than words, because callers paraphrase across word boundaries:
    大坑 / 那个坑, 拖欠工资 / 欠工资, 吵得睡不着 / 没睡好.

    Kept for the texts seen last: the open tickets of a busy place are every new appeal's
    candidates, and segmenting each of them again cost more than the rest of the check.
    """
    return frozenset(char for word in segment.tokens(text) for char in word)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Containment: the share of the shorter text's substantive characters the other holds.

    A repeat is usually a shorter retelling of the first report ("康宁路58号火锅店的油烟还在往楼
    上冒" after a long complaint about the same restaurant), which Jaccard punishes for the
    length alone: on 160 pairs written apart from this code (80 repeats by the same caller or a
    neighbour, 80 near misses), the mean of Jaccard and containment at 0.5 found 4 of the 80
    repeats; containment at the thresholds below finds 38 and merges 2 of the near misses (45
    and none on a second such set, measured on arrival; tests/unit/test_duplicate_pairs.py). That
    any short text would be "contained" in a long one is checked by what else must agree: the
    same caller or place, the same matter, no different building or road.
    """
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


# How much of the shorter text must be shared: a caller's own repeat, or a neighbour's telling
# of the same problem in their own words (the same place and matter must agree as well).
SAME_CALLER_SIMILARITY = 0.5
SAME_PLACE_SIMILARITY = 0.45
# A caller's repeat that the classifier put under another matter than their open ticket's,
# though it weighed that one too (among its candidates): the words must agree the more.
OTHER_CANDIDATE_SIMILARITY = 0.6
# A closed ticket is repeated only by the same facts told again (DOMAIN: not accepted), each
# text holding this share of the other; "5栋电梯又坏了，昨天刚修好" shares much of the first
# report and is a new occurrence, to be accepted.
CLOSED_SIMILARITY = 0.8


def areas_apart(areas: CodeTree | None, a: str | None, b: str | None) -> bool:
    """Whether two known areas are different places: neither is, or holds, the other (a street
    holds its communities). Without the tree, different codes are different places."""
    if a is None or b is None or a == b:
        return False
    if areas is None or a not in areas or b not in areas:
        return True
    return b not in areas.ancestors(a) and a not in areas.ancestors(b)


# What names one spot among many in the same area: a building or house number (3号楼, 5栋, 12
# 单元) and a road (人民路, 解放大道; 街道 is an administrative area, not a street).
# A date (11月28号) or a metro line (3号线) is no place.
_PLACE_NUMBER = re.compile(r"(?<![月\d])(\d+)\s*(?:号楼|号院|栋|幢|单元|号(?![线码]))")
_ROAD = re.compile(r"([\u4e00-\u9fff]{2})(?:大道|路(?![灯面边])|街(?!道)|巷)")
# Characters no road name holds before 路 (门口的路灯, 摆到马路上, 这条路, 修路).
_NOT_A_ROAD_NAME = frozenset("的了在到上这那条马走修过公道门口一")


@lru_cache(maxsize=8192)
def places(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The building numbers and the roads a text names (kept, like text_features)."""
    folded = fold.fold(text)
    roads = (m.group(0) for m in _ROAD.finditer(folded))
    return (
        frozenset(m.group(1) for m in _PLACE_NUMBER.finditer(folded)),
        frozenset(road for road in roads if not _NOT_A_ROAD_NAME & set(road[:2])),
    )


def different_places(a: str, b: str) -> bool:
    """Whether two texts name different buildings, roads or gates (both name some, and none in
    common): 3号楼 and 5号楼 of one community are two lifts, not one; the south gate's bins are
    not the north gate's. Two crossings each named by two roads are different unless both
    roads agree (中山路与解放路 is not 中山路和建国路)."""
    (numbers_a, roads_a), (numbers_b, roads_b) = places(a), places(b)
    gates_a, gates_b = gates(a), gates(b)
    return (
        bool(numbers_a and numbers_b and not numbers_a & numbers_b)
        or bool(roads_a and roads_b and not roads_a & roads_b)
        or (len(roads_a) >= 2 and len(roads_b) >= 2 and roads_a != roads_b)
        or bool(gates_a and gates_b and not gates_a & gates_b)
    )


_GATE = re.compile(r"([东南西北])(?:大门|侧门|门)")


@lru_cache(maxsize=8192)
def gates(text: str) -> frozenset[str]:
    """The gates a text names by their side (南门, 北大门): a community's bins or lights at
    its south gate are another spot than at its north gate."""
    return frozenset(m.group(1) for m in _GATE.finditer(fold.fold(text)))


def find_duplicate(
    text: str,
    phone: str | None,
    area_code: str | None,
    matter_code: str | None,
    now: datetime,
    candidates: Iterable[DuplicateCandidate],
    window: timedelta,
    *,
    areas: CodeTree | None = None,
    place_merges: bool = True,
    matter_candidates: Collection[str] = (),
) -> DuplicateMatch | None:
    """The earlier ticket this appeal repeats: same caller or place, same matter, in the window.

    An open candidate is preferred (the appeal is merged into it), then the most similar. A
    closed one is repeated only by its own caller telling the same facts again (DOMAIN: not
    accepted): another caller at the place, or the same caller's "又坏了", is a new occurrence.
    Two texts naming different buildings or roads, or the same caller in two areas neither of
    which holds the other (`areas`, the area tree), are about different places (text features
    leave numbers out). `place_merges` False: the matter is a person's own (wages, a pension,
    an allowance), and two neighbours' appeals about it are two claims, never one.
    `matter_candidates`: the matters the classifier weighed for this appeal; the same caller's
    open ticket under one of them may be repeated too, with more words in common
    (OTHER_CANDIDATE_SIMILARITY: on 240 pairs, 5 more repeats found and no near miss).
    """
    words = text_features(text)
    appeal = MergeFacts(_phone_key(phone), area_code, matter_code)
    best: tuple[tuple[bool, float], DuplicateMatch] | None = None
    for candidate in candidates:
        if not (now - window <= candidate.accepted_at <= now):
            continue
        # The same rule as a manual merge: same caller or same place, about the same matter.
        ground = merge_ground(
            appeal,
            MergeFacts(
                _phone_key(candidate.requester_phone), candidate.area_code, candidate.matter_code
            ),
        )
        weighed = (
            ground is None
            and candidate.open
            and candidate.matter_code in matter_candidates
            and appeal.phone_key is not None
            and appeal.phone_key == _phone_key(candidate.requester_phone)
        )
        if weighed:
            ground = "same_requester"
        if ground is None or (not candidate.open and ground != "same_requester"):
            continue
        if ground == "same_place" and not place_merges:
            continue
        if ground == "same_requester" and areas_apart(areas, area_code, candidate.area_code):
            continue
        theirs = text_features(candidate.text)
        score = similarity(words, theirs)
        threshold = SAME_CALLER_SIMILARITY if ground == "same_requester" else SAME_PLACE_SIMILARITY
        if weighed:
            threshold = OTHER_CANDIDATE_SIMILARITY
        if not candidate.open:
            # The same facts told again: each text holds most of the other. "5栋电梯坏了" is
            # contained whole in "5栋电梯又坏了，昨天刚修好", which is still a new breakdown.
            threshold = CLOSED_SIMILARITY
            score = min(score, len(words & theirs) / max(len(words), len(theirs), 1))
        if score < threshold or different_places(text, candidate.text):
            continue
        who = "同一诉求人" if ground == "same_requester" else "同一地点"
        state = "正在办理" if candidate.open else "已办结"
        match = DuplicateMatch(
            candidate.ticket_id,
            candidate.number,
            round(score, 4),
            f"与{state}的工单{candidate.number}为{who}反映的相同问题（相似度{score:.0%}）。",
            candidate.open,
        )
        key = (candidate.open, score)
        if best is None or key > best[0]:
            best = (key, match)
    return best[1] if best else None
