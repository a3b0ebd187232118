"""The daemon's asyncio and hashlib without OpenSSL (daemon/openssl_free.py).

Each case runs in a fresh interpreter: the point is what a new process maps, and this
test process imported asyncio (and OpenSSL) long ago.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def _fresh(code: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _maps_openssl() -> str:
    return ("any(('libcrypto' in l or 'libssl' in l) "
            "for l in open('/proc/self/maps'))")


def test_asyncio_and_digests_load_without_openssl() -> None:
    result = _fresh(f"""
        import json, sys
        from pykeepalived.daemon.openssl_free import load_asyncio
        first = load_asyncio()
        import asyncio, asyncio.sslproto, hashlib, hmac
        md5 = hmac.new(bytes([0x0B]) * 16, b"Hi There", hashlib.md5).hexdigest()
        print(json.dumps({{"first": first, "again": load_asyncio(),
                          "openssl": {_maps_openssl()},
                          "asyncio_tls": asyncio.sslproto.ssl is not None,
                          "ssl_loaded": "ssl" in sys.modules, "md5": md5}}))
    """)
    assert result == {"first": True, "again": False, "openssl": False,
                      "asyncio_tls": False, "ssl_loaded": False,
                      # RFC 2104's first test vector, by the built-in MD5
                      "md5": "9294727a3638bb1c13f48ef8158bfc9d"}


def test_a_checker_can_still_import_ssl_afterwards() -> None:
    """SSL_GET does its own TLS over MemoryBIO: the real ssl module must load later."""
    result = _fresh("""
        import json
        from pykeepalived.daemon.openssl_free import load_asyncio
        load_asyncio()
        import ssl
        context = ssl.create_default_context()
        print(json.dumps({"bio": type(ssl.MemoryBIO()).__name__,
                          "verify": context.verify_mode == ssl.CERT_REQUIRED}))
    """)
    assert result == {"bio": "MemoryBIO", "verify": True}


def test_too_late_changes_nothing() -> None:
    result = _fresh(f"""
        import json, asyncio, asyncio.sslproto
        from pykeepalived.daemon.openssl_free import load_asyncio
        print(json.dumps({{"done": load_asyncio(),
                          "asyncio_tls": asyncio.sslproto.ssl is not None,
                          "openssl": {_maps_openssl()}}}))
    """)
    assert result == {"done": False, "asyncio_tls": True, "openssl": True}
