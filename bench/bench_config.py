"""Benchmark: `kamalpy config` end to end (a fresh process) on a 40-line deploy.yml.

Run: python bench/bench_config.py [RUNS]. Prints the median wall time; the target is < 300 ms.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEPLOY_YML = """\
service: shop
image: acme/shop
servers:
  web:
    hosts:
      - 10.0.0.1
      - 10.0.0.2: canary
  jobs:
    hosts: [10.0.0.3]
    cmd: bin/jobs --queue default
    options:
      memory: 2g
proxy:
  host: shop.example.com
  app_port: 3000
  healthcheck:
    path: /up
registry:
  server: ghcr.io
  username: acme-bot
  password: [GHCR_TOKEN]
builder:
  arch: amd64
env:
  clear:
    RAILS_ENV: <%= ENV.fetch("RAILS_ENV", "production") %>
  secret: [DATABASE_PASSWORD, SECRET_KEY_BASE]
volumes:
  - /srv/shop:/data
accessories:
  db:
    image: postgres:16
    host: 10.0.0.9
    port: "127.0.0.1:5432:5432"
    env:
      secret: [POSTGRES_PASSWORD]
logging:
  options:
    max-size: 50m
readiness_delay: 5
"""


def main() -> None:
    """Time `python -m kamalpy config` RUNS times and report the median."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    repo = Path(__file__).resolve().parents[1]
    assert len(DEPLOY_YML.splitlines()) == 40
    with tempfile.TemporaryDirectory() as directory:
        service = Path(directory) / "services" / "shop"
        service.mkdir(parents=True)
        (service / "deploy.yml").write_text(DEPLOY_YML, encoding="utf-8")
        env = {**os.environ, "VERSION": "bench", "PYTHONPATH": str(repo)}
        argv = [sys.executable, "-m", "kamalpy", "config", "-s", "shop"]
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(argv, cwd=directory, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    median = statistics.median(times) * 1000
    print(
        f"kamalpy config, 40-line deploy.yml: median {median:.0f} ms over {runs} runs "
        f"(min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms; target < 300 ms)"
    )


if __name__ == "__main__":
    main()
