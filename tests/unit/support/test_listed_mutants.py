"""The replayed mutants of issue 15 still point at real code (a stale one would prove nothing)."""

from __future__ import annotations

import pytest

from tests.mutants.listed import MUTANTS, ROOT, Mutant


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_each_mutant_changes_one_place_and_names_existing_tests(mutant: Mutant) -> None:
    assert (ROOT / mutant.path).read_text().count(mutant.old) == 1
    assert mutant.old != mutant.new
    assert all((ROOT / test).exists() for test in mutant.tests)
