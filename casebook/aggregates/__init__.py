"""Aggregate statistics, the only data that leaves Casebook.

Owns `disclosure` (whitelisted dimensions, counting, OpenDP noise, the publication
rule), `releases` (releases and reuse, checked and charged against `ledger`, the
privacy budget's spending), `rendering` (CSV/HXL and JSON) and `charts` (SVG). Never
imports crypto or the cases room. May import: audit, roles, models, taxonomy, db.
"""
