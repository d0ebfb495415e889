"""Personal data masked in free text that leaves the centre (the public Open311 feed, and what
units and other systems read of an appeal through the API): phone numbers (mobile
and landline, as people write and say them), ID and bank card numbers, e-mail addresses, QQ and
WeChat IDs, a name its owner introduces (我叫张伟, 姓名：陈静) and the room of a home address
(5栋302室 → 5栋***室: the building stays, as a place the city can act on; the household goes).

What it cannot find is a name nobody introduces ("经查，李娜反映的…"): text that must not be
published at all (举报, a confidential appeal) is withheld whole by the publisher, not scrubbed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Full-width forms (U+FF01-FF5E: digits, letters, ＠, －, ／), dashes and the ideographic space,
# read as ASCII. One character for one, so that a match in the folded text is at the same place
# in the original, which is published as written.
_FOLD = (
    {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
    | dict.fromkeys((0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212), ord("-"))
    | {0x3000: ord(" ")}
)
# Digits as a number is read aloud (voicemail transcripts, speech, people who type what they
# would say): 幺三九零零零零二二二二. Folded to ASCII digits for the number patterns only; a name
# (王一博) is looked for in the text before this fold.
_NUMERALS = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")
# Between two groups of digits: spaces, or one dash, dot, slash or underscore with spaces
# around it (139-1234-5678, 139/1234/5678, 139_1234_5678).
_GAP = r"(?:[ \t]*[-./_\\][ \t]*|[ \t]+)"
_SEP = rf"{_GAP}?"
_COUNTRY = r"(?:(?:\+|00)[ \t]*86|86)[ \t]*-?[ \t]*"
_ID_END = r"\d{3}[\dXx]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# An ID number is 18 characters (the last may be X), written together or in the groups people
# use (6-8-4, 6-6-6, 6-4-4-4); 15 to 19 digits together are an old ID or a bank card number, and
# a card is also written in groups of four (4-4-4-4, 4-4-4-4-3) or as 4-6-5.
_LONG_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    rf"\d{{6}}{_SEP}\d{{8}}{_SEP}{_ID_END}"
    rf"|\d{{6}}{_GAP}\d{{6}}{_GAP}\d{{2}}{_ID_END}"
    rf"|\d{{6}}{_GAP}\d{{4}}{_GAP}\d{{4}}{_GAP}{_ID_END}"
    rf"|\d{{4}}(?:{_GAP}\d{{4}}){{3}}(?:{_GAP}\d{{1,3}})?"
    rf"|\d{{4}}{_GAP}\d{{6}}{_GAP}\d{{5}}"
    r"|\d{15,19})(?![0-9A-Za-z])"
)
# 11 digits from 13x to 19x: together, 3-4-4, 4-3-4 or 3-8, with or without +86 / 0086; or digit
# by digit with the same gap between each (1 3 9 1 2 3 4 5 6 7 8).
_MOBILE = re.compile(
    rf"(?<!\d)(?:{_COUNTRY})?"
    rf"(?:1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}|1[3-9]\d\d{_SEP}\d{{3}}{_SEP}\d{{4}}"
    rf"|1[3-9]\d{_SEP}\d{{8}})(?!\d)"
    r"|(?<!\d)1(?P<gap>[ \t]*[-./_][ \t]*|[ \t]+)[3-9](?:(?P=gap)\d){9}(?!\d|(?P=gap)\d)"
)
# An area code (010, 02x, 0xxx; without its 0 after +86), in brackets or not, then 7-8 digits.
_LANDLINE = re.compile(
    rf"(?<!\d)(?:{_COUNTRY}\(?0?|\(?0)(?:10|2\d|[3-9]\d\d)\)?{_SEP}\d{{3,4}}{_SEP}\d{{4}}(?!\d)"
)
# A local number without its area code counts only after a word that says it is one.
_CUED_NUMBER = re.compile(
    r"(?:电话|手机|座机|号码|联系|致电|拨打|打给|来电|tel|phone)[^\d\n]{0,8}?"
    rf"(?P<number>(?<!\d)\d{{3,4}}{_SEP}\d{{4}})(?!\d)",
    re.IGNORECASE,
)
# After 号, 号码, 账号 and a colon or 是, the account itself.
_ACCOUNT_CUE = r"(?:号码?|账号|id)?[ \t]*(?:[:：][ \t]*)?(?:是|为)?[ \t]*"
_QQ = re.compile(
    rf"(?<![A-Za-z])(?:qq|扣扣|企鹅){_ACCOUNT_CUE}(?P<number>[1-9]\d{{4,11}})(?!\d)",
    re.IGNORECASE,
)
# A WeChat ID is letters, digits, _ and -; what follows 微信 in other words (微信支付, 微信app)
# is not one.
_WECHAT = re.compile(
    rf"(?:微信|威信|薇信|(?<![A-Za-z])(?:weixin|wechat|vx|wx|v信)){_ACCOUNT_CUE}"
    r"(?!(?:app|pay|group)(?![A-Za-z0-9_-]))"
    r"(?P<number>[A-Za-z0-9][A-Za-z0-9_-]{2,19})(?![A-Za-z0-9_*-])",
    re.IGNORECASE,
)
# The room of a home: 3-4 digits after the building (栋, 幢, 号楼, 座), its entrance (单元) or
# a floor (3楼1203), or before 室 / 房间; and the last of 6-2-301. The building, entrance and floor
# stay. Not a count or a measure (5栋120户, 3单元300元).
_NOT_A_ROOM = (
    r"(?![\d.]|[ \t]*(?:元|块|米|平|年|月|日|天|周|小时|分|秒|人|户|辆|个|多|余|万|千|次|层|"
    r"期|届|岁|斤|公|吨|克|件|套|名|位|路|号线))"
)
_ROOM = re.compile(
    r"(?:(?:栋|幢|号楼|座|单元)[ \t]*-?[ \t]*|(?<=\d)楼[ \t]*)"
    rf"(?P<number>\d{{3,4}}){_NOT_A_ROOM}"
    r"|(?<![\d-])\d{1,3}-\d{1,2}-(?!(?:19|20)\d\d(?!\d))(?P<flat>\d{3,4})(?![\d-])"
    r"|(?<![\d.])(?P<door>\d{3,4})[ \t]*(?=室|房间|房号)"
)
# Common family names, compound ones first. A name is looked for only after words that introduce
# one; after the weaker ones (我是, 本人) only a name that starts with a family name, and never a
# word below that does.
_SURNAMES = (
    "(?:欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|令狐|夏侯|长孙|宇文|司徒|"
    "[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈"
    "饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟"
    "邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝封谈匡鞠惠荆冀郁胥班储栗燕楚鄢])"
)
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff]"
# What may follow a name: anything but a Han character, or one of these (我叫张伟住在…).
_AFTER_NAME = (
    r"(?=[^\u3400-\u4dbf\u4e00-\u9fff]|$"
    r"|[住在的家今现从向和与跟反投举电手联身已也就还都想要来去打说请])"
)
_NAME = re.compile(
    rf"(?:姓名|名字(?:叫|是)|名叫|联系人|我叫)[ \t]*(?:[:：][ \t]*)?(?:是|为)?[ \t]*"
    rf"(?P<number>(?![了过他她它们你您人])(?:{_SURNAMES}{_HAN}{{1,2}}?|{_HAN}{{2,3}}?)){_AFTER_NAME}"
    rf"|(?:我是|本人(?:是|叫)?)[ \t]*(?P<given>{_SURNAMES}{_HAN}{{1,2}}?){_AFTER_NAME}"
)
# Words that start as a family name does but say who one is, not one's name: 我是房东, 我是江城区
# 居民, 我是高三学生, 我是白天打的电话.
NOT_NAMES = (
    "房东",
    "房主",
    "房客",
    "车主",
    "商户",
    "商家",
    "司机",
    "江城",
    "南湖",
    "高三",
    "高中",
    "高一",
    "高二",
    "高龄",
    "白天",
    "马路",
    "全职",
    "安置",
    "应届",
    "时候",
    "明天",
    "孙子",
    "孙女",
    "师傅",
    "管理",
    "单位",
    "邻居",
    "业主",
    "程序",
    "文员",
    "华侨",
    "农民",
    "农户",
    "农村",
    "武警",
    "党员",
    "宁可",
    "常住",
    "常年",
    "万一",
    "高新",
    "物业",
    "保安",
    "城管",
    "警察",
    "民警",
    "救护",
    "外卖",
    "快递",
    "家人",
    "朋友",
    "孩子",
    "老公",
    "老婆",
    "领导",
)
# A place, not a person: 我是江城区的, 我是南湖村的.
_PLACE_ENDINGS = tuple("区县市镇乡村街路省")

# A mask gives what is published in place of a match; None leaves it as written.
Mask = Callable[[re.Match[str]], str | None]


def _hidden_mobile(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])[-11:]
    return f"{digits[:3]}****{digits[-4:]}"


def _hidden_name(match: re.Match[str]) -> str | None:
    name = match["number"] or match["given"]
    if name.startswith(NOT_NAMES) or name.endswith(_PLACE_ENDINGS):
        return None
    return "***"


# (pattern, mask, whether it reads the numerals folded to digits)
_MASKS: tuple[tuple[re.Pattern[str], Mask, bool], ...] = (
    (_EMAIL, lambda match: "***@***", False),
    (_LONG_NUMBER, lambda match: "*" * 18, True),
    (_MOBILE, _hidden_mobile, True),
    (_LANDLINE, lambda match: "****", True),
    (_CUED_NUMBER, lambda match: "****", True),
    (_QQ, lambda match: "***", True),
    (_WECHAT, lambda match: "***", True),
    (_ROOM, lambda match: "***", True),
    (_NAME, _hidden_name, False),
)


def scrub(text: str | None) -> str | None:
    """Hide the phone numbers, ID and card numbers, e-mail addresses, QQ and WeChat IDs, names
    and home room numbers citizens type (or say) into free text."""
    if not text:
        return text
    folded = text.translate(_FOLD)
    texts = [text, folded, folded.translate(_NUMERALS)]
    for pattern, mask, numerals in _MASKS:
        texts = _masked(pattern, mask, texts, 2 if numerals else 1)
    return texts[0]


def as_digits(text: str) -> str:
    """`text` with full-width characters and spoken numerals read as ASCII digits, as the number
    patterns read it (幺三九 → 139)."""
    return text.translate(_FOLD).translate(_NUMERALS)


def _masked(pattern: re.Pattern[str], mask: Mask, texts: list[str], read: int) -> list[str]:
    """The texts (the original and its folds, all of one length) with what `pattern` finds in
    `texts[read]` replaced by its mask: only the `number`, `given`, `flat` or `door` group, where
    the pattern has one and it matched."""
    groups = [name for name in ("number", "given", "flat", "door") if name in pattern.groupindex]
    kept: list[list[str]] = [[] for _ in texts]
    last = 0
    for match in pattern.finditer(texts[read]):
        group = next((name for name in groups if match[name] is not None), 0)
        start, end = match.span(group)
        hidden = mask(match)
        if hidden is None:
            continue  # the mask kept it (a role word, not a name)
        for parts, whole in zip(kept, texts, strict=True):
            parts += [whole[last:start], hidden]
        last = end
    return ["".join([*parts, whole[last:]]) for parts, whole in zip(kept, texts, strict=True)]
