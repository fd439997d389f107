"""The identifier check reads Korean, Chinese and English text, full-width forms too."""

import pytest
from django.utils import translation

from casebook.cases.identifiers import find_identifiers


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_identifiers({"narrative": text})]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("010-1234-5678로 연락했다", [("phone", "010-1234-5678")]),
        ("０１０-１２３４-５６７８로", [("phone", "010-1234-5678")]),
        ("电话13812345678联系", [("phone", "13812345678")]),
        ("reached by phone 138 1234 5678.", [("phone", "138 1234 5678")]),
        ("여권 M12345678를 빼앗겼다", [("passport", "M12345678")]),
        ("여권 Ｍ１２３４５６７８를", [("passport", "M12345678")]),
        ("900101-1234567이다", [("kr_rrn", "900101-1234567")]),
        ("９００１０１-１２３４５６７이다", [("kr_rrn", "900101-1234567")]),
        ("카톡 아이디: kim_1234", [("kakao", "카톡 아이디: kim_1234")]),
        ("카톡 아이디：kim_1234", [("kakao", "카톡 아이디:kim_1234")]),
        ("카카오톡 아이디는 kim_1234 이다", [("kakao", "카카오톡 아이디는 kim_1234")]),
        ("微信号: abcd1234", [("wechat", "微信号: abcd1234")]),
        ("微信号：abcd1234", [("wechat", "微信号:abcd1234")]),
        ("WeChat ID abcd1234", [("wechat", "WeChat ID abcd1234")]),
        ("QQ 123456789", [("messenger", "QQ 123456789")]),
        ("kim@example.org로 보냈다", [("email", "kim@example.org")]),
        ("中国身份证 11010519491231002X号", [("cn_id", "11010519491231002X")]),
    ],
)
def test_identifiers_inside_korean_chinese_and_full_width_text_are_flagged(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "In 2019 the line at the border was long.",
        "2005년 지린성에서, 세 명의 아이와 함께.",
        "version 1.2.3 of the form",
        "Line 2 of the text",
        "pages 12-13",
        "2018年在辽宁省",
    ],
)
def test_ordinary_words_and_years_are_not_flagged(text):
    assert kinds(text) == []


def test_findings_are_named_in_korean():
    with translation.override("ko"):
        labels = {
            f.kind: f.label
            for f in find_identifiers(
                {"n": "카톡 아이디: kim_1234, 微信: abcd1234, 900101-1234567, M12345678"}
            )
        }
    assert labels == {
        "kakao": "카카오톡 아이디",
        "wechat": "위챗 아이디",
        "kr_rrn": "주민등록번호",
        "passport": "여권 번호",
    }
