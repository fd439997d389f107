"""The access log: registered actions, appends, the sealed chain, verification, queries.

Owns `actions` (the action registry, outcomes and actors), `log` (appends, without a
lock), `canonical` (an event's canonical encoding and chained hash), `sealing` (the
chain, and the sealer that extends it), `flood` (refusal windows shared by every
worker), `reading` (the chain read out fast for verification),
`verification` (chain checks against signed checkpoints), `checkpoints` and
`checkpoint_shipping` (signing the head, and sending it off the host),
`verification_runs` (the workspace's "Verify now", run by the scheduler) and `queries`
(what the auditor's workspace reads). May import: roles, crypto, models, db.
"""
