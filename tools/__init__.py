"""Maintenance tools, run from the checkout root: `python -m tools.capture_golden`."""
