"""Chinese word segmentation: one lazily built jieba tokenizer with the 12345 domain dictionary."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import jieba

from routing import fold

DOMAIN_WORDS_PATH = Path(__file__).parent / "data" / "domain_words.txt"

# Function words and hotline filler that carry no signal about the matter or the place.
_STOP_WORDS_TEXT = (
    "的 了 着 过 吗 呢 吧 啊 呀 哦 嗯 哈 啦 么 嘛 得 地 之 与 及 和 跟 同 或 而 且 "
    "就 都 也 还 又 再 才 很 太 更 最 是 在 有 没 没有 不 要 会 能 可以 可能 应该 "
    "已经 一直 一下 一些 一个 这个 那个 这样 那样 这里 那里 这边 那边 我 我们 我家 "
    "你 你们 您 他 她 它 他们 她们 它们 自己 大家 人家 咱们 本人 请 请问 麻烦 谢谢 "
    "感谢 你好 您好 喂 在吗 一下子 帮忙 帮 给 把 被 让 对 从 向 往 到 于 为 为了 "
    "因为 所以 但是 但 如果 虽然 然后 而且 并且 还是 或者 什么 怎么 怎么办 怎么样 "
    "为什么 哪里 哪儿 多少 几 个 些 每 各 其 等 等等 上 一 好 那条 那家 那些 这家 "
    "这条 又是 还没 到现在 现在 今天 昨天 前天 明天 时候 时间 问题 情况 事情 反映 "
    "反应 希望 尽快 处理 解决 相关 部门 有关 "
)
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())

_PUNCTUATION = re.compile(r"^[\W_]+$")
_DIGITS = re.compile(r"^[\d.,%]+$")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def tokenizer() -> jieba.Tokenizer:
    """The shared tokenizer, built once (about a second) with the domain dictionary loaded."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            # jieba announces its dictionary loading on stderr; the app log is no place for it.
            jieba.setLogLevel(logging.WARNING)
            built = jieba.Tokenizer()
            built.initialize()
            # A file object of our own: given a path, jieba leaves the file open.
            with DOMAIN_WORDS_PATH.open("rb") as words:
                built.load_userdict(words)
            _tokenizer = built
    return _tokenizer


def add_words(words: Iterable[str]) -> None:
    """Teach the tokenizer more words (matter names, keywords) so they are never split."""
    tok = tokenizer()
    with _lock:
        for word in words:
            word = word.strip()
            if word:
                tok.add_word(word)


def is_substantive(token: str) -> bool:
    """A token that may carry meaning: not punctuation, not a bare number, not a stop word."""
    return not (
        token.isspace()
        or _PUNCTUATION.match(token) is not None
        or _DIGITS.match(token) is not None
        or token in STOP_WORDS
    )


def tokens(text: str, *, hmm: bool = False) -> list[str]:
    """Lower-cased, folded words of `text` without stop words, punctuation or bare numbers.

    The HMM guesser for unknown words is off by default: it doubles the cost and the
    classifier's character bigrams already cover words the dictionary lacks.
    """
    return [t for t in tokenizer().lcut(fold.fold(text).lower(), HMM=hmm) if is_substantive(t)]


def search_tokens(text: str) -> list[str]:
    """Like `tokens`, plus the shorter dictionary words inside long ones (电梯故障 → 电梯, 故障)."""
    folded = fold.fold(text).lower()
    return [t for t in tokenizer().lcut_for_search(folded, HMM=False) if is_substantive(t)]
