"""The command line: keepalived's flags (command.py) and `pykeepalived status` (status.py)."""

from pykeepalived.cli.command import main

__all__ = ["main"]
