"""keepalived 2.2.7's check-module log lines, word for word, in one place.

Operators grep for these (`Removing service`, `Adding service`, `Gained quorum`, `TCP
connection to [...] failed`), so every one is built here from keepalived's format string
(check_*.c, ipwrapper.c) and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pykeepalived.check.actions import IpvsAction
    from pykeepalived.check.params import CheckerKind, CheckerSpec, HttpUrl, MiscProbe
    from pykeepalived.check.results import ProbeResult


class Checker(Protocol):
    """What the lines say about a checker (checkers.Checker has it)."""

    @property
    def rs_text(self) -> str: ...
    @property
    def vs_text(self) -> str: ...
    @property
    def has_run(self) -> bool: ...
    @property
    def retry_it(self) -> int: ...
    @property
    def kind(self) -> CheckerKind: ...
    @property
    def spec(self) -> CheckerSpec: ...


def connection_success(word: str, rs: str) -> str:
    """TCP, UDP and ICMP: `TCP connection to [ip]:tcp:80 success.`"""
    return f"{word} connection to {rs} success."


def tcp_attempt_failed(rs: str, reason: str) -> str:
    """log_all_failures, while up: `TCP connection to X timeout.` / `... failed.`"""
    return f"TCP connection to {rs} {'timeout' if reason == 'timeout' else 'failed'}."


def layer4_failed(name: str, c: Checker, retry: int) -> str:
    if retry and c.has_run:
        return f"{name} on service {c.rs_text} failed after {retry} retries."
    return f"{name} on service {c.rs_text} failed."


def datagram_attempt_failed(c: Checker, reason: str) -> str:
    """UDP/PING with log_all_failures, while up."""
    if c.kind.value == "UDP_CHECK":
        if reason == "reply data mismatch":
            return f"UDP check to {c.rs_text} reply data mismatch."
        return f"UDP connection to {c.rs_text} failed."
    if reason == "timeout":
        return f"ICMP connection to address {c.rs_text} timeout."
    return f"ICMP connection to {c.rs_text} of {c.vs_text} failed."


def datagram_failed(c: Checker, retry: int) -> str:
    if c.kind.value == "UDP_CHECK":
        return layer4_failed("UDP_CHECK", c, retry)
    if retry and c.has_run:
        return (f"ICMP CHECK on service {c.rs_text} of {c.vs_text} failed after {retry}"
                " retries.")
    return f"ICMP CHECK on service {c.rs_text} failed."


def http_url_success(url: HttpUrl, rs: str) -> str:
    """A url passing while the checker is down names what it checked last."""
    what = "Regex match" if url.regex else "MD5 digest" if url.digest else "HTTP status code"
    return f"{what} success to {rs} url({url.path})"


def http_failed(c: Checker) -> str:
    """keepalived prints retry_it - 1, which is `retry` on the first failure."""
    if c.has_run and c.spec.retry:
        return f"HTTP_CHECK on service {c.rs_text} failed after {c.retry_it - 1} retries."
    return f"HTTP_CHECK on service {c.rs_text} failed."


def misc_line(c: Checker, probe: MiscProbe, result: ProbeResult, kind: str,
              success: bool) -> str:
    """`Misc check for [RS VS VS] by [prog] failed after 2 retries (exited with status 1).`"""
    suffix = "" if success else _misc_suffix(c.spec.retry, c.retry_it)
    head = f"Misc check for [{c.rs_text} VS {c.vs_text}] by [{probe.command.program}] {kind}"
    if not success and kind == "failed" and result.exit_status is not None:
        return f"{head}{suffix} (exited with status {result.exit_status})."
    if not success and kind == "failed" and result.signal is not None:
        return f"{head}{suffix} (due to signal {result.signal})."
    return f"{head}{suffix}."


def _misc_suffix(retry: int, retry_it: int) -> str:
    if not retry:
        return " with retry disabled"
    plural = "retry" if retry == 1 else "retries"
    if retry_it == 1:
        return f", will do {retry} {plural}"
    if retry_it > 1:
        return f" on retry {retry_it - 1}/{retry}"
    return f" after {retry} {plural}"


# ---------------------------------------------------------------------------- the pool


def service_change(alive: bool, inhibit: bool, rs: str, vs: str) -> str:
    """perform_svr_state: Adding/Removing, or Enabling/Disabling with inhibit."""
    if inhibit:
        return f"{'Enabling' if alive else 'Disabling'} service {rs} of VS {vs}"
    return f"Adding service {rs} to VS {vs}" if alive else f"Removing service {rs} from VS {vs}"


def weight_change(old: int, new: int, alive: bool, rs: str, vs: str) -> str:
    return (f"Changing weight from {old} to {new} for {'' if alive else 'in'}active service"
            f" {rs} of VS {vs}")


def quorum_gained(quorum: int, hysteresis: int, threshold: int, weight: int, vs: str) -> str:
    return f"Gained quorum {quorum}+{hysteresis}={threshold} <= {weight} for VS {vs}"


def quorum_lost(init: bool, quorum: int, hysteresis: int, threshold: int, weight: int,
                vs: str) -> str:
    what = "Starting with quorum down" if init else "Lost quorum"
    return f"{what} {quorum}-{hysteresis}={threshold} > {weight} for VS {vs}"


def sorry_server(adding: bool, inhibit: bool, rs: str, vs: str) -> str:
    if adding:
        return f"{'Enabling' if inhibit else 'Adding'} sorry server {rs} to VS {vs}"
    return f"{'Disabling' if inhibit else 'Removing'} sorry server {rs} from VS {vs}"


def pool_change(add: bool, vs: str) -> str:
    what = "Adding alive servers to" if add else "Removing alive servers from"
    return f"{what} the pool for VS {vs}"


def activating(enabled: bool, rs: str, vs: str) -> str:
    return f"{'A' if enabled else 'Dea'}ctivating healthchecker for service {rs} for VS {vs}"


def suspend_change(enable: bool, rs: str, vs: str) -> str:
    return f"{'Activating' if enable else 'Suspending'} healthchecker for service {rs} for VS {vs}"


def clearing(stopping: bool, inhibited: bool, rs: str, vs: str) -> str:
    what = "Shutting down" if stopping else "Removing"
    return f"{what} {'(inhibited) ' if inhibited else ''}service {rs} from VS {vs}"


def track_file_fault(rs: str, name: str, entering: bool) -> str:
    """A FILE_CHECK's track_file entering or leaving FAULT (keepalived prints it with -D)."""
    return f"({rs}): tracked file {name} {'now' if entering else 'leaving'} FAULT state"


def vs_fifo(vs: str, up: bool) -> str:
    return f"VS {vs} {'UP' if up else 'DOWN'}\n"


def rs_fifo(rs: str, vs: str, up: bool) -> str:
    return f"RS {rs} {vs} {'UP' if up else 'DOWN'}\n"


def rs_subject(rs: str, vs: str, up: bool) -> str:
    return f"Realserver {rs} of virtual server {vs} - {'UP' if up else 'DOWN'}"


def vs_subject(vs: str, up: bool) -> str:
    return f"Virtualserver {vs} - {'UP' if up else 'DOWN'}"


# ---------------------------------------------------------------------------- IPVS errors

#: keepalived names every IPVS command by its sockopt, whichever transport it used
_IPVS_COMMANDS = {"AddService": ("IP_VS_SO_SET_ADD", 1154),
                  "EditService": ("IP_VS_SO_SET_EDIT", 1155),
                  "DelService": ("IP_VS_SO_SET_DEL", 1156),
                  "AddDest": ("IP_VS_SO_SET_ADDDEST", 1159),
                  "DelDest": ("IP_VS_SO_SET_DELDEST", 1160),
                  "EditDest": ("IP_VS_SO_SET_EDITDEST", 1161)}
#: libipvs.c ipvs_strerror: (command or None for any, errno) -> text
_IPVS_ERRORS = {("AddService", 17): "Service already exists",
                ("AddService", 2): "Scheduler or persistence engine not found",
                ("EditService", 2): "Scheduler or persistence engine not found",
                ("AddDest", 17): "Destination already exists",
                ("EditDest", 2): "No such destination",
                ("DelDest", 2): "No such destination",
                (None, 3): "No such service",
                (None, 1): "Permission denied (you must be root)",
                (None, 22): "Invalid operation.  Possibly wrong module version, address not"
                            " unicast, ...",
                (None, 92): "Protocol not available",
                (None, 12): "Memory allocation problem",
                (None, 95): "Operation not supported with IPv6",
                (None, 97): "Operation not supported with specified address family",
                (None, 90): "Module is wrong version"}


def ipvs_error(action: IpvsAction, code: int) -> str:
    """`IPVS cmd IP_VS_SO_SET_ADD(1154) error: Service already exists(17) (192.0.2.100:tcp:80)`"""
    kind = type(action).__name__
    name, number = _IPVS_COMMANDS[kind]
    text = _IPVS_ERRORS.get((kind, code)) or _IPVS_ERRORS.get((None, code)) or os_error(code)
    service = action.service
    where = (f"Fwm {service.fwmark}{' inet6' if service.family == 6 else ''}"
             if service.fwmark else
             f"{service.address}:{_IPVS_PROTOCOLS.get(service.protocol, service.protocol)}:"
             f"{service.port}")
    dest = getattr(action, "dest", None)
    if dest is not None:
        where += f" -> {dest.address}:{dest.port}"
    return f"IPVS cmd {name}({number}) error: {text}({code}) ({where})"


#: format_srule names these protocols and prints any other as its number; addresses are
#: inet_ntop's text, IPv6 without brackets (`2001:db8::1:tcp:80`)
_IPVS_PROTOCOLS = {6: "tcp", 17: "udp", 132: "sctp"}


def os_error(code: int) -> str:
    """strerror(3) without importing os into a pure module: the texts IPVS can return."""
    return _STRERROR.get(code, f"Unknown error {code}")


_STRERROR = {2: "No such file or directory", 3: "No such process", 16: "Device or resource busy",
             17: "File exists", 19: "No such device", 22: "Invalid argument",
             95: "Operation not supported", 105: "No buffer space available"}
