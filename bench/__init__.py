"""Benchmarks next to real keepalived, run from the checkout root: `python -m bench.failover`."""
