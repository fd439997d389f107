"""The case: who may see it, the one decrypting read, and every change to it.

Owns `selectors` (visible_cases and the other permission queries every case read
starts from; `listing`, the case lists and the survivor picker built on them;
`granted_list`, the unfiltered list as PostgreSQL reads it from the grants), `access`
(the only code that returns decrypted testimony), `services` (create, update, delete),
`sharing`, `identifiers` (the identifier check on testimony) and `records` (the value
types handed to the web: Pattern, Testimony, CaseRecord). May import: audit, roles,
crypto, models, taxonomy.
"""
