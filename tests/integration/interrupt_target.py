"""Not collected by default: a pytest run that holds the bed until a signal stops it.

tests/integration/test_interrupt.py runs this file in a child pytest and interrupts it.
"""

from __future__ import annotations

import time

import pytest

from tests.testbed import Bed


@pytest.mark.integration
def test_hold_the_bed_until_interrupted(bed: Bed) -> None:
    print(f"BED-UP {bed.prefix}", flush=True)
    time.sleep(120)
