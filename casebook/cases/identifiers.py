"""Spotting likely direct identifiers in testimony before it is saved.

A heuristic, tuned to flag rather than to miss: the caseworker sees what was found and
must edit it out or confirm that it stays. Nothing about the findings is stored.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PATTERNS = [
    # Bounded repetitions keep every pattern linear on long text (no quadratic scans).
    ("email", _("e-mail address"), r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"),
    # South Korean resident registration number: YYMMDD-GNNNNNN.
    ("kr_rrn", _("South Korean resident registration number"), r"\b\d{6}-?[1-8]\d{6}\b"),
    # Chinese resident identity card: 17 digits and a check digit or X.
    ("cn_id", _("Chinese resident ID number"), r"\b\d{17}[\dXx]\b"),
    ("passport", _("passport-like number"), r"\b[A-Z]{1,2}\d{7,8}\b"),
    (
        "messenger",
        _("WeChat, QQ, KakaoTalk, Line or Telegram ID"),
        r"(?i)\b(?:wechat|weixin|wx|qq|kakao(?:talk)?|line|telegram|tg)\s*(?:id\s*)?[:：=]\s*"
        r"@?[a-z0-9_.-]{4,64}|\b(?:wechat|weixin|qq|kakao(?:talk)?|line|telegram)\s+id\s+"
        r"@?[a-z0-9_.-]{4,64}|(?i:\bqq\s*(?:no\.?|number)?\s*)\d{5,11}\b|\bwxid_[a-z0-9]{6,40}",
    ),
    # Phone numbers: Chinese mobiles, Korean mobiles, and international numbers.
    (
        "phone",
        _("phone number"),
        r"(?<![\w])(?:\+?\d{1,3}[ .-]?)?(?:1[3-9]\d[ .-]?\d{4}[ .-]?\d{4}|01[016789][ .-]?\d{3,4}"
        r"[ .-]?\d{4}|\(?\d{2,4}\)?[ .-]\d{3,4}[ .-]\d{3,4})(?![\w])",
    ),
]
COMPILED = [(kind, label, re.compile(pattern)) for kind, label, pattern in PATTERNS]


@dataclass(frozen=True)
class Finding:
    field: str
    kind: str
    label: str
    text: str

    def __repr__(self) -> str:
        return f"Finding({self.field}, {self.kind})"


def find_identifiers(fields: dict[str, str]) -> list[Finding]:
    """Likely identifiers in each field, each span reported once under its first kind."""
    findings = []
    for field, text in fields.items():
        taken: list[tuple[int, int]] = []
        for kind, label, pattern in COMPILED:
            for match in pattern.finditer(text or ""):
                start, end = match.span()
                if any(start < t_end and t_start < end for t_start, t_end in taken):
                    continue
                taken.append((start, end))
                findings.append(Finding(field, kind, str(label), match.group(0).strip()))
    return findings
