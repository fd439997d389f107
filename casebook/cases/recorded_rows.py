"""A new case's rows written in one statement on PostgreSQL: the case, its sub-patterns
and perpetrators, its wrapped data key, its sealed testimony and its author's three
grants, where the ORM sends six (casebook.cases.services.case_create, which writes
them through the ORM elsewhere). Recording is a caseworker's heaviest request, and
those round trips, composed and planned one by one, were most of it.

Its foreign keys are checked at the transaction's end, as Django's always are; a form
submitted twice still fails on the case's unique (author, submission), as one
IntegrityError, having written nothing.
"""

from typing import Any

from django.db import connection
from django.db.models import Model

from casebook.cases.granted_list import CASE_TYPE
from casebook.cases.records import Pattern
from casebook.crypto import envelope
from casebook.crypto.keys import case_key_row
from casebook.db import columns_of, prepared
from casebook.models import CaseKey, CasePattern, CaseTestimony


def _values_of(model: type[Model]) -> tuple[str, str]:
    """The column list of `model`'s table and the named placeholders of one row."""
    fields, columns = columns_of(model)
    names = ", ".join(f"%({model._meta.db_table}_{field})s" for field in fields)
    return columns, names


_CASE = _values_of(CasePattern)
_KEY = _values_of(CaseKey)
_TESTIMONY = _values_of(CaseTestimony)
STATEMENT = f"""
    WITH new_case AS (
        INSERT INTO casebook_casepattern ({_CASE[0]}) VALUES ({_CASE[1]})
    ), sub_patterns AS (
        INSERT INTO casebook_casesubpattern (case_id, code)
        SELECT %(case)s, code FROM unnest(%(sub_patterns)s::text[]) AS code
    ), perpetrators AS (
        INSERT INTO casebook_caseperpetrator (case_id, code)
        SELECT %(case)s, code FROM unnest(%(perpetrators)s::text[]) AS code
    ), data_key AS (
        INSERT INTO casebook_casekey ({_KEY[0]}) VALUES ({_KEY[1]})
    ), testimony AS (
        INSERT INTO casebook_casetestimony ({_TESTIMONY[0]}) VALUES ({_TESTIMONY[1]})
    )
    INSERT INTO casebook_caseusergrant (permission_id, user_id, content_object_id, case_created_at)
    SELECT permission.id, %(author)s, %(case)s, %(created_at)s FROM auth_permission AS permission
     WHERE permission.content_type_id = {CASE_TYPE} AND permission.codename = ANY(%(access)s)"""  # noqa: S608 -- constants only


def _row(instance: Model) -> dict[str, Any]:
    """The new `instance`'s columns as the statement's values, prepared as Django's own
    INSERT prepares them (its auto_now fields set first)."""
    return {
        f"{instance._meta.db_table}_{field.attname}": field.get_db_prep_save(
            field.pre_save(instance, add=True), connection
        )
        for field in instance._meta.concrete_fields
    }


def rows_insert(
    case: CasePattern,
    *,
    pattern: Pattern,
    key: envelope.WrappedKey,
    sealed: dict[str, Any],
    access: list[str],
) -> None:
    """Write the unsaved `case` with its codes (`pattern`), its data key `key`, its
    sealed testimony row `sealed` and its author's grants of `access`, in one statement;
    `case` is then as if saved."""
    testimony = CaseTestimony(case_id=case.pk, **sealed)
    data_key = case_key_row(case, key)
    values = {
        **_row(case),
        **_row(data_key),
        **_row(testimony),
        "case": case.pk,
        "sub_patterns": sorted(pattern.sub_patterns),
        "perpetrators": sorted(pattern.perpetrators),
        "author": case.author_id,
        "created_at": case.created_at,
        "access": access,
    }
    prepared(STATEMENT, values)
    case._state.adding = False
    case._state.db = connection.alias
