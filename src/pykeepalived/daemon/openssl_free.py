"""The daemon's standard library without OpenSSL, unless a checker asks for TLS.

asyncio imports `ssl` when it loads, and `hashlib`/`hmac` import `_hashlib`: both map
OpenSSL's libcrypto (and libssl) into the process, 4.5 MiB of resident memory that a
VRRP daemon never uses. Its TLS is nowhere (etcd, SMTP, AgentX and the HTTP read-outs
are plain; SSL_GET checkers do their own TLS over `ssl.MemoryBIO`, never asyncio's), and
its digests are MD5 for AH and MD5/SHA for HTTP checkers, which hashlib also carries
built in (`_md5`, `_sha1`, ...: its documented fallback when OpenSSL is absent).

`load_asyncio()`, called before anything imports asyncio or hashlib:
- imports asyncio while `ssl` is marked missing, so asyncio sets up without TLS, then
  unmarks it: a later `import ssl` (an SSL_GET checker's) loads the real module;
- marks `_hashlib` missing for good, so hashlib and hmac take their built-in digests.
If asyncio is imported already (tests, embedding), it changes nothing.
"""

from __future__ import annotations

import sys

#: the OpenSSL-backed digest module hashlib and hmac try first
_HASHLIB_OPENSSL = "_hashlib"


def load_asyncio() -> bool:
    """Import asyncio without OpenSSL; True if this call did so, False if too late."""
    if "asyncio" in sys.modules or _HASHLIB_OPENSSL in sys.modules or "ssl" in sys.modules:
        return False
    sys.modules[_HASHLIB_OPENSSL] = None  # type: ignore[assignment]
    sys.modules["ssl"] = None  # type: ignore[assignment]
    try:
        import asyncio  # noqa: F401  (imported for its side effect: asyncio without TLS)
    finally:
        del sys.modules["ssl"]
    return True
