"""One path for refusals that a client can repeat without end: CSRF failures, the admin
site, methods a case URL does not take. Each is recorded, bounded by
casebook.audit.flood: anonymous visitors once a minute per address and kind, signed-in
people once a minute per account, kind and target, with repeats counted."""

from django.http import HttpRequest

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.audit.flood import admitted, folded_details
from casebook.web.client import client_ip


def refusal_recorded(request: HttpRequest, kind: str, *, target: str = "") -> None:
    user = request.user
    who = f"user:{user.pk}" if user.is_authenticated else f"address:{client_ip(request)}"
    folded = admitted(f"{kind}:{target}:{who}")
    if folded is None:
        return
    name = request.resolver_match.url_name if request.resolver_match else ""
    log.record(
        Action.PAGE_DENIED,
        actor=Actor.of(user),
        outcome=Outcome.DENIED,
        target=target or kind,
        details={"method": f"{request.method} {name or kind}"[:48], **folded_details(folded)},
    )
