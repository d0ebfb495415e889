"""Phone numbers normalised to E.164 with +86 by default, refused when they cannot be dialled."""

from __future__ import annotations

import pytest

from hotline.phones import InvalidPhone, caller_number, mask, normalise, phone_key


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        ("010-6512 3456", "+861065123456"),
        ("+1 415 555 0100", "+14155550100"),
    ],
)
def test_numbers_as_people_write_them_become_e164(raw: str, e164: str) -> None:
    assert normalise(raw) == e164


@pytest.mark.parametrize("raw", ["12", "abc", "1380013800", "٣٨٠٠١٣٨٠٠٠١", "+86 ³3800138000"])
def test_numbers_no_network_can_dial_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise(raw)


def test_the_same_caller_has_the_same_key_however_the_number_was_written() -> None:
    assert phone_key(normalise("138 0013 8000")) == phone_key(normalise("+8613800138000"))
    assert mask("+8613800138000") == "138****8000"


@pytest.mark.parametrize(
    "raw",
    [
        "010-12345678",
        "+86 10 6512 3456",
        "+86 010 6512 3456",
        "020-8888 6666",
        "0731-8456 7890",
        "0898-1234567",
        "400-810-8888",
        "13800138000",
        "12345",
        "+1 415 555 0100",
    ],
)
def test_a_normalised_number_normalises_to_itself(raw: str) -> None:
    once = normalise(raw)
    assert normalise(once) == once


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+86 10 6512 3456", "+861065123456"),
        ("+86 010 6512 3456", "+861065123456"),
        ("0731-8456 7890", "+8673184567890"),
        ("0898-1234567", "+868981234567"),
        ("12345", "+8612345"),
    ],
)
def test_landlines_with_or_without_the_trunk_zero_are_one_line(raw: str, e164: str) -> None:
    assert normalise(raw) == e164


@pytest.mark.parametrize("raw", ["010-1234567", "111111111", "+86 1234", "0123456789"])
def test_numbers_outside_china_s_numbering_plan_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise(raw)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("１３８００１３８０００", "+8613800138000"),
        ("＋８６ １３８－００１３－８０００", "+8613800138000"),
        ("０７３１－８４５６７８９０", "+8673184567890"),
    ],
)
def test_full_width_digits_as_chinese_input_methods_type_them_are_read(raw: str, e164: str) -> None:
    assert normalise(raw) == e164
    assert caller_number(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "110", "+86 120", "12315", "１２３４５"])
def test_a_service_number_is_nobody_s_phone(raw: str) -> None:
    with pytest.raises(InvalidPhone, match="服务号码不能作为诉求人电话"):
        caller_number(raw)


def test_digits_of_other_scripts_stay_refused() -> None:
    for raw in ("١٣٨٠٠١٣٨٠٠٠", "¹³⁸⁰⁰¹³⁸⁰⁰⁰"):
        with pytest.raises(InvalidPhone):
            normalise(raw)
