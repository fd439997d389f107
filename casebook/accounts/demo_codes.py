"""The demo's file of backup codes, kept truthful: a code used at sign-in is marked
"(used)" there, so that whoever tries the demo picks a fresh one. Only on a demo
(CASEBOOK_DEMO=1 with CASEBOOK_DEMO_CODES_FILE set); the codes are synthetic."""

from pathlib import Path

from django.contrib.auth.models import User
from django_otp.plugins.otp_static.models import StaticToken

DEMO_DEVICE = "demo backup codes"
USED = "(used)"


def demo_codes_mark_used(path: str, user: User) -> None:
    """Mark, on `user`'s line of the file, every code their demo device no longer holds."""
    file = Path(path)
    if not file.is_file():
        return
    left = set(
        StaticToken.objects.filter(device__user=user, device__name=DEMO_DEVICE).values_list(
            "token", flat=True
        )
    )
    lines = []
    for line in file.read_text(encoding="utf-8").splitlines():
        name, separator, codes = line.partition(": ")
        if separator and name == user.get_username():
            marked = [
                code if code in left or code.endswith(USED) else f"{code}{USED}"
                for code in codes.split()
            ]
            line = f"{name}: {' '.join(marked)}"
        lines.append(line)
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
