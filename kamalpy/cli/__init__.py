"""Command-line entry point, output formatting, the single error funnel, exit codes."""
