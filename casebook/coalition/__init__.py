"""Coalition statistics: several installations pool their noisy tables, never a record.

Owns `members` (the coalition's members file: names, public signing keys, the
combiner's public key), `membership` (this installation as a member: its name, its
release key, the coalition's budget settings), `documents` (the standard tables, the
taxonomy version, the canonical encoding that is signed, and the checks of a bundle),
`bundles` (making a signed bundle sealed to the combiner, against the coalition's own
budget), `combining` (opening, verifying and summing members' bundles) and `output`
(the combined table as CSV with HXL and JSON, in English and Korean). See
docs/coalition.md. Never imports the cases room or accounts.
May import: aggregates, crypto, audit, roles, models, db, taxonomy.
"""
