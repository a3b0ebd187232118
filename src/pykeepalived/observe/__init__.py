"""Read-outs: live state turned into what an operator reads.

keepalived's dumps (text and JSON), our status document and table, Prometheus text. A
snapshot is taken once (capture.py) and everything after it is rendering, so a read-out
can never disturb or half-read the running daemon.
"""
