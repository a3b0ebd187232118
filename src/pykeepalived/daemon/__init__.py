"""The process: drives the pure cores with the adapters, signals, reload, dumps."""
