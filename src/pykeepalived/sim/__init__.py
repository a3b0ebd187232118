"""A virtual-clock VRRP cluster: N nodes running the real state machines on a lossy LAN."""
