"""A client of the VIP: one HTTP GET every INTERVAL seconds, one line per request.

Each line is `MONOTONIC ok BODY` or `MONOTONIC fail REASON`. CLOCK_MONOTONIC is the same
in every network namespace, so the caller can put these lines on its own time axis (the
moment it killed HAProxy) and measure the outage the client really saw. A fresh
connection per request: a kept-alive connection would hide that the VIP moved.

    python -m netlab.web_probe HOST PORT INTERVAL TIMEOUT SECONDS
"""

from __future__ import annotations

import http.client
import sys
import time


def one_request(host: str, port: int, timeout: float) -> str:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read().decode(errors="replace").strip() or "-"
    except (OSError, http.client.HTTPException) as exc:
        return f"fail {type(exc).__name__}"
    finally:
        connection.close()
    if response.status != 200:
        return f"fail http-{response.status}"
    return f"ok {body.split()[0]}"


def main(argv: list[str]) -> int:
    try:
        host, port, interval, timeout, seconds = (argv[0], int(argv[1]), float(argv[2]),
                                                  float(argv[3]), float(argv[4]))
    except (IndexError, ValueError):
        print("usage: python -m netlab.web_probe HOST PORT INTERVAL TIMEOUT SECONDS",
              file=sys.stderr)
        return 2
    deadline = time.monotonic() + seconds
    due = time.monotonic()
    for _ in range(int(seconds / interval) + 1):  # bounded in count and in time
        started = time.monotonic()
        if started >= deadline:
            break
        print(f"{started:.3f} {one_request(host, port, timeout)}", flush=True)
        due += interval
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # pacing a load generator, not waiting for a result
        else:
            due = time.monotonic()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
