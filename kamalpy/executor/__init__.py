"""The only place that runs processes: local, ssh (ControlMaster), retries, fan-out."""
