"""Pure: discover the services of a monorepo, their inputs and digests, what changed and why."""
