"""Casebook: documenting patterns of abuse against North Korean escapees in China,
without ever putting a survivor at risk.

One subpackage per capability; their imports run one way (tests/test_boundaries.py):
web -> cases, aggregates -> accounts -> audit -> roles, crypto -> models, db ->
taxonomy, environment.
"""
