"""keepalived.conf: read exactly as keepalived reads it, every value with its file and line."""
