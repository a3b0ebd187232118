"""The `make demo` scenario and the small programs it runs in the lab hosts."""
