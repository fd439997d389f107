"""The access log: registered actions, chained appends, verification, auditors' queries.

Owns `actions` (the action registry, outcomes and actors), `log` (appends to the hash
chain), `flood` (the once-a-minute bound on refusals that floods repeat),
`verification` (chain checks and signed checkpoints), `verification_runs` (the
workspace's "Verify now", run by the scheduler) and `queries` (what the auditor's
workspace reads). May import: roles, crypto, models, db.
"""
