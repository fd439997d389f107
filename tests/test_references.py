import re

from casebook.references import ALPHABET, REFERENCE_PATTERN, new_reference


def is_reference(value: str) -> bool:
    """As the case URLs match references (casebook.urls)."""
    return re.fullmatch(REFERENCE_PATTERN, value) is not None


def test_reference_has_the_documented_shape():
    reference = new_reference()
    assert is_reference(reference), reference
    assert reference.startswith("CB-") and len(reference) == 12


def test_references_avoid_misreadable_letters():
    assert not set("ILOU") & set(ALPHABET)


def test_references_are_random_not_sequential():
    references = [new_reference() for _ in range(2000)]
    assert len(set(references)) == len(references)
    assert references != sorted(references)


def test_malformed_references_are_rejected():
    for value in ("CB-0000-000", "cb-7K3M-Q9XD", "CB-7K3M-Q9XI", "CB-7K3M-Q9XD ", "X"):
        assert not is_reference(value), value
