"""Discover services, compute their inputs and digests, decide what changed and why."""
