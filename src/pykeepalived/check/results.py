"""What one probe of a real server found: the only input a checker takes from the world.

The probes (adapters/checkers/) return a `ProbeResult`; the check core turns it into
up/down, retries, weights and keepalived's log lines. `reason` carries keepalived's own
phrase for a failure, so the core can print the line an operator greps for:

- TCP_CHECK, PING_CHECK: "timeout" or "failed" (`TCP connection to [rs]:tcp:80 timeout.`);
- HTTP_GET, SSL_GET: the first words of keepalived's epilog line: "Timeout connecting",
  "Connection failed", "Error connecting", "HTTP_CHECK - network unreachable",
  "SSL handshake/communication error connecting to", "Timeout WEB write",
  "Cannot send get request to", "Timeout WEB read" (no answer at all),
  "Timeout HTTP read", "Timeout SSL read",
  "Read error with", "SSL read error from", "Read, no data received from ",
  "HTTP status code error to", "MD5 digest error to", "Regex match failed";
- SMTP_CHECK: the whole message after `SMTP_CHECK `, server included
  ("Could not connect to server [192.0.2.10]:25");
- DNS_CHECK: the message after `DNS_CHECK ([rs]) ` ("read timeout from socket",
  "read error occurred. (rcode = 2)", ...);
- UDP_CHECK: "failed" or "reply data mismatch";
- MISC_CHECK: "" (the exit status, signal or timeout say it).

`reschedule` marks keepalived's "... Rescheduling." cases (no socket, bind failed): the
checker tries again after delay_loop without changing state. `reason` is then
keepalived's whole log line ("TCP socket bind failed. Rescheduling.") and `detail` the
system's words ("Checker bind failed: Cannot assign requested address").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    reason: str = ""
    #: seconds from the start of the probe to its verdict
    latency: float = 0.0
    #: HTTP_GET/SSL_GET: which url (index into HttpProbe.urls) this result is for
    url: int | None = None
    #: MISC_CHECK: how the program ended
    exit_status: int | None = None
    signal: int | None = None
    timed_out: bool = False
    #: what was seen, for status and metrics: "status 503", "exit 1", "digest 12ab..."
    detail: str = ""
    reschedule: bool = False

    @classmethod
    def success(cls, latency: float = 0.0, *, url: int | None = None,
                detail: str = "") -> ProbeResult:
        return cls(True, latency=latency, url=url, detail=detail)

    @classmethod
    def failure(cls, reason: str, latency: float = 0.0, *, url: int | None = None,
                detail: str = "") -> ProbeResult:
        return cls(False, reason, latency, url=url, detail=detail)
