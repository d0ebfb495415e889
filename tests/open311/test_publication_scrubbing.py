"""The public feed hides phone numbers, ID and card numbers, e-mail addresses, QQ and WeChat IDs,
introduced names and the room of a home however they are written or said, and leaves dates,
building numbers, ticket numbers and amounts alone."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.personal_data import scrub
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
        ("卡号 6222 0212 3456 7890 123 被扣款", "3456", "卡号 " + "*" * 18 + " 被扣款"),
        ("卡号6222-0212-3456-7890", "3456", "卡号" + "*" * 18),
        ("身份证 330102 199001 011234", "199001", "身份证 " + "*" * 18),
        ("身份证 330102 1990 0101 123X", "1990", "身份证 " + "*" * 18),
        ("电话 1 3 9 1 2 3 4 5 6 7 8 找我", "1 2 3 4", "电话 139****5678 找我"),
        ("手机139/1234/5678", "139/1234", "手机139****5678"),
        ("手机139_1234_5678", "139_1234", "手机139****5678"),
        ("电话幺三九零零零零二二二二", "零零零零", "电话139****2222"),
        ("我的号码是一三九一二三四五六七八", "一二三四", "我的号码是139****5678"),
        ("座机零五七一 八八八八六六六六", "八八八八", "座机****"),
        ("加我QQ 12345678", "12345678", "加我QQ ***"),
        ("qq号：123456789", "123456789", "qq号：***"),
        ("微信号 abc_123 随时联系", "abc_123", "微信号 *** 随时联系"),
        ("vx: lina_1990", "lina_1990", "vx: ***"),
        ("我叫张伟，今年60岁", "张伟", "我叫***，今年60岁"),
        ("我是陈静", "陈静", "我是***"),
        ("本人李娜住在翠苑小区", "李娜", "本人***住在翠苑小区"),
        ("姓名：欧阳娜娜", "欧阳", "姓名：***"),
        ("我叫王一博", "一博", "我叫***"),
        ("翠苑小区5栋302室漏水", "302", "翠苑小区5栋***室漏水"),
        ("住翠苑小区6栋101", "101", "住翠苑小区6栋***"),
        ("3栋2单元501的水管爆了", "501", "3栋2单元***的水管爆了"),
        ("5 号楼 1203 室", "1203", "5 号楼 *** 室"),
        ("家住 6-2-301", "301", "家住 6-2-***"),
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
        "2026-11-28 下午三点，3栋2单元 的水管爆了",
        "工单 20261129-000001 转 12345，押金3000元，5 号楼门口，下午 3:30",
        "我是业主，我是本小区居民，我是一名老师",
        "我是江城区居民，我是白天打的电话，我叫了物业",
        "用微信支付了 200 元，QQ群里说的",
        "二〇二六年十一月二十九日，三三两两",
        "5栋120户，3单元300元，2026/11/29",
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
    assert item["description"] == "联系我 139****2222 或 ****，3栋2单元*** 漏水，2026-11-28 发现"


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
