"""People and how they sign in: accounts, invitations, teams, the second factor.

Owns `services` (account creation with one role), `invitations` (the single-use links
through which people set their own password and second factor), `memberships`
(supervisors approving who joins their team), `administration` (what administrators
do to accounts), `teams`, `second_factor` (devices and backup codes), `preferences`,
`demo_codes` (the demo's file of backup codes) and `signals` (sign-in, sign-out and
failures into the access log). May import: audit, roles, models.
"""
