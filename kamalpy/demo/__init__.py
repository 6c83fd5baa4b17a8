"""`kamalpy demo`: deploy an embedded example service to this machine, v1 then v2, and remove it.

A top layer beside `cli/` and `nox.py`: it drives the deploy flow like a command does and,
like them, reads the environment and the clock and passes values down.
"""
