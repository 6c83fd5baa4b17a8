"""The kamalpy test bed: real hosts (netns + sshd + dockerd) and a registry on one machine."""

from __future__ import annotations

from tests.testbed.lifecycle import down, up
from tests.testbed.spec import Bed, BedSpec, Host

__all__ = ["Bed", "BedSpec", "Host", "down", "up"]
