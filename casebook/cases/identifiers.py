"""Spotting likely direct identifiers in testimony before it is saved.

A heuristic, tuned to flag rather than to miss: the caseworker sees what was found and
must edit it out or confirm that it stays. Nothing about the findings is stored.

Testimony is written in Korean, Chinese and English, where an identifier often sits
inside a word with no space ("010-1234-5678로", "微信号：abcd1234"). So the guards
around a match treat only ASCII letters and digits as part of a word, never Hangul or
Han, and text is compared in its compatibility form (NFKC), where full-width digits,
letters and colons are the ordinary ones.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

START = r"(?<![0-9A-Za-z])"  # not inside an ASCII word (Hangul or Han may touch it)
END = r"(?![0-9A-Za-z])"
HANDLE = r"@?[A-Za-z0-9_.-]{4,64}"
# After a messenger's name: "ID" (or 아이디, 号, ...) then a colon or a space, or a colon.
AFTER_NAME = r"(?:\s*(?:id|아이디|계정|号|帐号|账号)(?:는|은)?\s*(?:[:=]\s*|\s+)|\s*[:=]\s*)"


def messenger(latin: str, cjk: str) -> str:
    """A messenger's name (Latin words whole, Korean or Chinese ones anywhere), then a
    handle."""
    return r"(?i)(?:" + START + r"(?:" + latin + r")|" + cjk + r")" + AFTER_NAME + HANDLE


PATTERNS: list[tuple[str, Promise, str]] = [
    # Bounded repetitions keep every pattern linear on long text (no quadratic scans).
    (
        "email",
        _("e-mail address"),
        r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}",
    ),
    # South Korean resident registration number: YYMMDD-GNNNNNN.
    (
        "kr_rrn",
        _("South Korean resident registration number"),
        START + r"[0-9]{6}-?[1-8][0-9]{6}" + END,
    ),
    # Chinese resident identity card: 17 digits and a check digit or X.
    ("cn_id", _("Chinese resident ID number"), START + r"[0-9]{17}[0-9Xx]" + END),
    ("passport", _("passport number"), START + r"[A-Z]{1,2}[0-9]{7,8}" + END),
    ("kakao", _("KakaoTalk ID"), messenger(r"kakao(?:talk)?", r"카카오톡|카카오|카톡")),
    (
        "wechat",
        _("WeChat ID"),
        messenger(r"wechat|weixin|wx", r"微信|위챗|웨이신") + r"|" + START + r"wxid_[a-z0-9]{6,40}",
    ),
    (
        "messenger",
        _("QQ, Line or Telegram ID"),
        messenger(r"qq|line|telegram|tg", r"扣扣|电报|라인|텔레그램")
        + r"|(?i:"
        + START
        + r"qq\s*(?:no\.?|number|号)?\s*)[0-9]{5,11}"
        + END,
    ),
    # Phone numbers: Chinese mobiles, Korean mobiles, and international numbers.
    (
        "phone",
        _("phone number"),
        START + r"(?:\+?[0-9]{1,3}[ .-]?)?(?:1[3-9][0-9][ .-]?[0-9]{4}[ .-]?[0-9]{4}|"
        r"01[016789][ .-]?[0-9]{3,4}[ .-]?[0-9]{4}|\(?[0-9]{2,4}\)?[ .-][0-9]{3,4}[ .-]"
        r"[0-9]{3,4})" + END,
    ),
]
COMPILED = [(kind, label, re.compile(pattern)) for kind, label, pattern in PATTERNS]


@dataclass(frozen=True)
class Finding:
    field: str
    kind: str
    label: str
    text: str
    field_label: str = ""  # the field's name as the form shows it

    def __repr__(self) -> str:
        return f"Finding({self.field}, {self.kind})"

    @property
    def key(self) -> str:
        """What a confirmation remembers: this text, of this kind, in this field."""
        return f"{self.field}:{self.kind}:{self.text}"


def find_identifiers(fields: dict[str, str]) -> list[Finding]:
    """Likely identifiers in each field, each span reported once under its first kind.

    The text reported is the match in compatibility form (full-width characters as
    their ordinary ones)."""
    findings = []
    for field, raw in fields.items():
        text = unicodedata.normalize("NFKC", raw or "")
        taken: list[tuple[int, int]] = []
        for kind, label, pattern in COMPILED:
            for match in pattern.finditer(text):
                start, end = match.span()
                if any(start < t_end and t_start < end for t_start, t_end in taken):
                    continue
                taken.append((start, end))
                findings.append(Finding(field, kind, str(label), match.group(0).strip()))
    return findings
