"""Config model + host facts → the frozen specs the runtime and the adapters execute.

Pure: no I/O, no clock. The daemon builds a `DaemonSpec` once at start and once per
reload (and diffs two of them with `plan_reload`); adapters take these value types and
never see the config model.
"""
