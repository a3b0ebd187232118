"""The web server behind one node's HAProxy: it answers with the node's name.

Answering the node name is the whole point: a client of the VIP can then see which node
served it, so a failover shows up in the client's own output, not only in daemon logs.
Run inside the node's namespace: `python -m netlab.web_backend NAME PORT` (binds
127.0.0.1 only).
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(name: str) -> type[BaseHTTPRequestHandler]:
    body = f"{name}\n".encode()

    class NameHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Silent: fifty requests a second would drown the node's log."""

    return NameHandler


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m netlab.web_backend NAME PORT", file=sys.stderr)
        return 2
    server = ThreadingHTTPServer(("127.0.0.1", int(argv[1])), make_handler(argv[0]))
    print(f"listening on 127.0.0.1:{argv[1]} as {argv[0]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
