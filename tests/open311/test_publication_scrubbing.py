"""The public feed hides phone numbers, ID and card numbers and e-mail addresses however they
are written, and leaves dates, house numbers and amounts alone."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.open311.scrubbing import scrub
from tests.factories import accepted


@pytest.mark.parametrize(
    "text, secret, shown",
    [
        ("联系我 139-1111-2222，晚上都在家", "139-1111-2222", "联系我 139****2222，晚上都在家"),
        ("电话139 1111 2222", "139 1111 2222", "电话139****2222"),
        ("手机１３９１１１１２２２２谢谢", "１３９１１１１２２２２", "手机139****2222谢谢"),
        ("回电 139.1111.2222", "139.1111.2222", "回电 139****2222"),
        ("号码 1391 111 2222", "1391 111 2222", "号码 139****2222"),
        ("打 +86 139 1111 2222 找王先生", "+86 139 1111 2222", "打 139****2222 找王先生"),
        ("0086-13911112222", "13911112222", "139****2222"),
        ("+8613911112222", "13911112222", "139****2222"),
        ("物业座机0571-88886666没人接", "0571-88886666", "物业座机****没人接"),
        ("物业座机 0571 8888 6666", "8888 6666", "物业座机 ****"),
        ("（0571）8888-6666", "8888-6666", "****"),
        ("（０５７１）８８８８６６６６", "８８８８６６６６", "****"),
        ("北京 010-65123456 转 8", "65123456", "北京 **** 转 8"),
        ("+86 571 88886666", "88886666", "****"),
        ("物业电话：8888 6666", "8888 6666", "物业电话：****"),
        ("身份证 33010219900101123X", "33010219900101123X", "身份证 " + "*" * 18),
        ("身份证 330102 19900101 123x", "19900101", "身份证 " + "*" * 18),
        ("卡号6222021234567890123被扣款", "6222021234567890123", "卡号" + "*" * 18 + "被扣款"),
        ("邮箱 wang.li@qq.com，谢谢", "wang.li@qq.com", "邮箱 ***@***，谢谢"),
        ("ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ｗａｎｇ", "***@***"),
    ],
)
def test_personal_numbers_and_addresses_are_hidden_however_written(
    text: str, secret: str, shown: str
) -> None:
    scrubbed = scrub(text) or ""
    assert secret not in scrubbed
    assert scrubbed == shown


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28 下午三点，3栋2单元501 的水管爆了",
        "物业费一个月300元，今年涨到了 1500.50 元",
        "工单 20261128-000001 一直没人处理，拨打12345热线 3 次",
        "2026.11.28 上午 9:30 开始停电，110 已经来过",
        "联系了3次，共计1500元，2026年11月28日之前解决",
        "面积 120.5 平方米，邮编 310000，12 路公交",
    ],
)
def test_ordinary_numbers_are_published_as_written(text: str) -> None:
    assert scrub(text) == text


def test_the_feed_publishes_a_phone_typed_into_an_appeal_only_masked(client: Any) -> None:
    ticket = accepted(
        channel="sms",
        text="联系我 139-1111-2222 或 0571-88886666，3栋2单元501 漏水，2026-11-28 发现",
    )
    item = client.get(f"/open311/v2/requests/{ticket.number}.json").json[0]
    assert item["description"] == "联系我 139****2222 或 ****，3栋2单元501 漏水，2026-11-28 发现"


def test_a_voicemail_recording_or_an_mms_photo_link_is_not_published(client: Any) -> None:
    voicemail = accepted(
        channel="phone",
        text="小区停车难\n（电话留言自动转写，录音：https://api.twilio.com/rec/RE0099）",
    )
    photo = accepted(channel="sms", text="附件：https://api.twilio.com/m/1.jpg")
    posted = accepted(channel="open311", text="照片见 https://example.org/pothole.jpg")

    def description(number: str) -> str:
        return str(client.get(f"/open311/v2/requests/{number}.json").json[0]["description"])

    assert description(voicemail.number) == "小区停车难\n（电话留言自动转写，录音：（链接不公开））"
    assert "twilio" not in description(photo.number)
    # What a citizen posted to this public API themselves is theirs to publish.
    assert "https://example.org/pothole.jpg" in description(posted.number)
