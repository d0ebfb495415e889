"""Folding text into the half-width simplified forms the rules and keywords are written in."""

from __future__ import annotations

import pytest

from routing.classify import KeywordRules
from routing.fold import fold, parse_table, traditional_table
from routing.segment import tokens


def test_full_width_letters_digits_and_punctuation_become_half_width() -> None:
    assert fold("ＴＥＳＴ１２３，！") == "TEST123,!"


def test_traditional_characters_become_simplified() -> None:
    assert fold("樓道裡著火了，電梯壞了") == "楼道里着火了,电梯坏了"


def test_simplified_text_is_left_as_it_is() -> None:
    text = "小区门口的垃圾三天没人清运"
    assert fold(text) == text


def test_every_table_entry_is_one_traditional_character_to_another_character() -> None:
    table = traditional_table()
    assert len(table) > 1000
    assert all(chr(k) != v for k, v in table.items())


@pytest.mark.parametrize("line", ["樓\t楼楼", "abc"])
def test_a_malformed_table_line_is_refused(line: str) -> None:
    with pytest.raises(ValueError):
        parse_table(line)


def test_keywords_and_tokens_match_traditional_text() -> None:
    rules = KeywordRules.from_matters([("01.01.01", "电梯故障", "电梯、困人")])
    assert rules.classify("電梯壞了，困人").matter_code == "01.01.01"
    assert "电梯" in tokens("電梯壞了")
