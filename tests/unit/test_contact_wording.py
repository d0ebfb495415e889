"""Not accepted (不予受理) or a genuine appeal, on contacts written apart from the rules.

tests/data/contact_wording.jsonl: 40 contacts with nothing to act on (greetings, tests, key
mashing, a bare name, insults at the operator or the government, spaced-out or homophone insults,
harassment of the operator, joke requests) and 40 genuine appeals however short, rude or
emoji-laden ("欠薪", "傻逼物业乱收停车费"). On arrival: 29/40 refused and 37/40 accepted, and one
joke request ("你们能帮我找个女朋友吗") transferred to 110 by the emergency model. The revision:
greetings of the day, "…算了不问了", tests of the number, joke requests (a girlfriend, lottery
numbers) and harassment of the operator are not accepted; homophones of the commonest insult and
"一群垃圾" aimed at the government count as abuse; words that state a whole appeal (欠薪, 停水)
are not too short; abuse with six characters of content left is an appeal (was eight). After:
38/40 and 40/40; still accepted are a bare name and a line of pinyin mash. No refusal among the
1,472 history tickets, 329 matter wordings, 602 realistic messages or the wording batches.
A review's 42 genuine short or rude appeals then found 11 refused (停暖, 噪音, 你们这帮废物，路灯修
不修, 狗屁政府，路坑死人...): more words that are a whole appeal, such a word left beside an
insult (卧槽，又停电了), insults at the operator only when aimed at the hotline or government, and
four characters of content beside an insult (was six) make 4 of 42 (臭, 欠钱, 工资, sb物业).
"""

from __future__ import annotations

import pytest

from routing.glossary import TriageOutcome
from routing.triage import TriageRules, triage
from tests.unit.wording_data import jsonl


def rows() -> tuple[dict[str, object], ...]:
    return jsonl("contact_wording.jsonl")


def refused(text: str) -> bool:
    return triage(text, TriageRules.load_default()).outcome is TriageOutcome.NOT_ACCEPTED


def test_contacts_with_nothing_to_act_on_are_not_accepted() -> None:
    empty = [str(r["text"]) for r in rows() if not r["accepted"]]
    kept = [text for text in empty if not refused(text)]
    assert len(empty) == 40
    assert len(kept) <= 2, kept


def test_every_genuine_appeal_is_accepted_however_short_or_rude() -> None:
    genuine = [str(r["text"]) for r in rows() if r["accepted"]]
    assert len(genuine) == 40
    assert [text for text in genuine if refused(text)] == []


def test_a_joke_request_is_neither_an_emergency_nor_an_appeal() -> None:
    result = triage("你们能帮我找个女朋友吗", TriageRules.load_default())
    assert result.outcome is TriageOutcome.NOT_ACCEPTED


@pytest.mark.parametrize(
    "text",
    [
        "楼道里堆的什么东西？",
        "我妹妹残疾需要有人陪护",
        "卧槽，又停电了",
        "漏气",
        "傻逼物业不修电梯",
    ],
)
def test_a_genuine_appeal_that_looks_like_a_rule_of_refusal_is_accepted(text: str) -> None:
    assert not refused(text)


@pytest.mark.parametrize(
    "text",
    [
        "帮我查一下今晚双色球开什么号",
        "能不能帮我找个女朋友 要求不高 会做饭就行😂",
        "我就试试这个号码能不能发短信",
        "给我转五百块钱 我就不投诉你们了",
        "小姐姐声音真好听 加个微信呗 下班一起吃饭",
        "让市长来给我唱首歌 不然我天天打",
        "新年快乐 祝12345的工作人员身体健康万事如意",
        "你好，祝你们接线员新年快乐，辛苦了",
    ],
)
def test_jokes_wishes_and_harassment_of_the_operator_are_not_accepted(text: str) -> None:
    # The held-out set 3's misses (measured at 9/16 on arrival): no words around them make an
    # appeal, so they are refused whatever else the message says.
    assert refused(text)


def test_a_polite_word_to_the_operator_is_no_harassment() -> None:
    assert not refused("美女你好，我想问下社保卡电话多少")
    assert not refused("你好，辛苦了，我家门口路灯不亮")


@pytest.mark.parametrize(
    "text",
    ["帮我查查我老公手机上跟谁聊天 你们政府肯定能查到", "王者荣耀怎么才能上王者 教教我"],
)
def test_a_private_or_recreational_request_is_outside_the_hotlines_remit(text: str) -> None:
    result = triage(text, TriageRules.load_default())
    assert result.outcome is TriageOutcome.NOT_ACCEPTED
    assert "不属于政务服务热线受理范围" in result.reason_zh


@pytest.mark.parametrize(
    "text",
    [
        "小区楼下网吧天天让未成年人进去打王者荣耀，通宵不关门",
        "我老公手机被偷了，派出所说要去营业厅挂失，营业厅在哪",
        "打错了？不是，我就是要找12345，小区停水两天了",
    ],
)
def test_a_real_appeal_that_mentions_a_game_a_spouse_or_a_misdial_is_accepted(text: str) -> None:
    assert not refused(text)


def test_an_insult_inside_a_longer_insult_leaves_no_content_behind() -> None:
    # 吃干饭的 alone, and 你们这些吃干饭的废物 as a whole: the longer is taken out first.
    assert refused("你们这些吃干饭的 废物 一群*** 挂了")


@pytest.mark.parametrize(
    "text", ["asdkjh ;;; 啊啊啊 qwe", "hjkl", "qwe qwe", "sdfsdf 123", "ｊｊｊｋｋ；；；１１２"]
)
def test_letters_run_over_the_keyboard_are_not_accepted(text: str) -> None:
    assert refused(text)


@pytest.mark.parametrize(
    "text", ["no water", "power out", "street light broken", "noise", "there is no water again"]
)
def test_a_short_appeal_in_english_is_no_keyboard_mash(text: str) -> None:
    assert not refused(text)


def test_a_short_appeal_typed_in_full_width_letters_is_no_keyboard_mash() -> None:
    assert not refused("ｎｏ ｗａｔｅｒ ａｇａｉｎ")


def test_a_private_request_is_refused_even_where_the_model_reads_a_danger() -> None:
    # The model read 0.85 for 110 in 她、女、我: a private request is no message to read for one.
    result = triage(
        "帮我把前女友的新手机号查出来 她把我拉黑了 我有话跟她讲", TriageRules.load_default()
    )
    assert result.outcome is TriageOutcome.NOT_ACCEPTED


@pytest.mark.parametrize(
    "text",
    [
        "有没有大神知道社保断缴了怎么补缴",
        "我看我老公手机上收到一条短信说医保卡要冻结，是不是诈骗",
        "我女儿放学到现在还没回家，电话也打不通，能不能帮我查一下她的手机定位",
        "燃气表上这个数是多少才算正常，这个月燃气费特别高",
        "城管骂完了就把我的摊子收走了",
        "网吧里那些妹子看着才多大了，网吧根本不查身份证",
        "查一下我老公手机为什么欠费停机了",
    ],
)
def test_a_real_appeal_near_a_refusal_pattern_is_accepted(text: str) -> None:
    assert not refused(text)


@pytest.mark.parametrize(
    "text", ["有没有大神，宝宝发高烧抽起来了", "有没有大神 有个大爷被困在车里出不来了"]
)
def test_no_refusal_pattern_keeps_a_danger_from_being_transferred(text: str) -> None:
    result = triage(text, TriageRules.load_default())
    assert result.outcome is TriageOutcome.EMERGENCY
