"""Differential test of operator log lines: pykeepalived against keepalived 2.2.7."""
