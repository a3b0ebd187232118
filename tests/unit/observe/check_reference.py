"""The check reference's recorded example (its §6): the config, and a dump-section helper,
shared by the dump, status and readout tests."""

from __future__ import annotations

REFERENCE_CONF = """
virtual_server 192.0.2.100 80 {
  delay_loop 3
  lvs_sched wrr
  lvs_method NAT
  protocol TCP
  quorum 2
  sorry_server 192.0.2.10 9999
  real_server 192.0.2.10 8080 {
    weight 1
    HTTP_GET {
      url {
        path /index.html
        digest e05003f6b7448aa2c2497bb671696f04
      }
      connect_timeout 2
    }
  }
  real_server 192.0.2.10 8081 {
    weight 2
    TCP_CHECK {
      connect_timeout 1
      retry 2
      delay_before_retry 1
      log_all_failures
    }
  }
}
"""


def section_lines(text: str, first: str) -> list[str]:
    lines = text.splitlines()
    return lines[lines.index(first):]
