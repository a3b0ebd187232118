"""The `make demo` scenario (`python -m demo.haproxy_pair`) and its live timeline."""
