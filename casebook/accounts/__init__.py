"""People and how they sign in: accounts, teams, the second factor, sign-in events.

Owns `services` (account creation with one role), `teams`, `second_factor` (who must
use one, devices and backup codes) and `signals` (sign-in, sign-out and failures
into the access log). May import: audit, roles, models.
"""
