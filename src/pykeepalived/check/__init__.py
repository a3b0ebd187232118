"""Health checking: vrrp_script/track_* results and virtual_server checkers, as pure state."""
