"""The shared jieba tokenizer: domain words, clean tokens, one lazy build."""

from __future__ import annotations

import threading

import pytest

from routing import segment


def test_domain_words_are_kept_whole() -> None:
    assert "噪音扰民" in segment.tokens("楼下酒吧噪音扰民严重")
    assert "占道经营" in segment.tokens("小区门口占道经营")
    assert "拖欠工资" in segment.tokens("老板拖欠工资三个月")


def test_the_domain_dictionary_holds_at_least_three_hundred_words() -> None:
    lines = segment.DOMAIN_WORDS_PATH.read_text(encoding="utf-8").split()
    assert len(set(lines)) >= 300
    assert {"物业", "电梯", "违章建筑", "垃圾清运", "供暖", "停水"} <= set(lines)


def test_tokens_drop_stop_words_punctuation_and_bare_numbers() -> None:
    words = segment.tokens("你好，我是3号楼的住户，电梯坏了！！请尽快处理。")
    assert "，" not in words and "！" not in words and "。" not in words
    assert "3" not in words
    assert "你好" not in words and "的" not in words and "请" not in words
    assert "电梯" in words


def test_tokens_are_lower_cased() -> None:
    assert "ktv" in segment.tokens("楼下KTV太吵")


def test_search_tokens_split_long_words_into_their_parts() -> None:
    words = segment.search_tokens("电梯故障")
    assert {"电梯", "故障", "电梯故障"} <= set(words)


def test_added_words_are_no_longer_split() -> None:
    assert "青藤湾北苑" not in segment.tokens("青藤湾北苑的路灯不亮")
    segment.add_words(["青藤湾北苑"])
    assert "青藤湾北苑" in segment.tokens("青藤湾北苑的路灯不亮")


def test_concurrent_first_use_builds_one_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segment, "_tokenizer", None)
    seen: list[object] = []

    def use() -> None:
        seen.append(segment.tokenizer())

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(t) for t in seen}) == 1
