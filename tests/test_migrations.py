"""Migrations: the protective ones cannot be undone."""

import importlib

import pytest


@pytest.mark.parametrize("name", ["0005_access_log_append_only", "0008_release_ledger_rows"])
def test_protective_migrations_cannot_be_unapplied(name):
    migration = importlib.import_module(f"casebook.migrations.{name}").Migration
    assert not all(op.reversible for op in migration.operations), name
