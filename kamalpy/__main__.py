"""`python -m kamalpy` runs the same entry point as the `kamalpy` console script."""

from __future__ import annotations

from kamalpy.cli.main import main

raise SystemExit(main())
