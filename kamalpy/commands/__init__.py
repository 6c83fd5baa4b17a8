"""Pure builders: argv tuples for docker, git, the proxy, locks and audit lines."""
