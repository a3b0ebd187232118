"""The links the runtime makes or opens for its instances: use_vmac macvlans and the
per-interface GARP/NA sockets.

Both outlive a single instance in ways the driver should not have to track: a reload
that keeps or renames an instance keeps its macvlan (deleting and re-creating it would
flap the VIPs), and a macvlan's GARP socket must be closed before the link is deleted.
Owning them here keeps `runtime.py` about feeding cores.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pykeepalived.adapters.vmac import VmacError

if TYPE_CHECKING:
    from pykeepalived.daemon.ports import FramePort, LogSink, Ports
    from pykeepalived.specs.instance import InstanceSpec
    from pykeepalived.specs.vmac import VmacSpec


class VmacLinks:
    def __init__(self, ports: Ports, log: LogSink) -> None:
        self.ports = ports
        self.log = log
        self._frames: dict[str, FramePort | None] = {}
        #: use_vmac: instance name -> the vmac we made for it and its ifindex
        self._vmacs: dict[str, tuple[VmacSpec, int]] = {}

    async def with_vmac(self, spec: InstanceSpec) -> InstanceSpec:
        """use_vmac: the macvlan exists (and the socket on it knows its ifindex) before
        the instance's sockets are opened; kept across a reload that leaves it alone."""
        vmac = spec.vmac
        if vmac is None:
            return spec
        if self.ports.vmac is None:
            raise VmacError(f"({spec.name}) use_vmac is not available here")
        known = self._vmacs.get(spec.name)
        if known is not None and known[0] == vmac:
            index = known[1]
        else:
            index = await self.ports.vmac.create(vmac, spec.name)
            self._vmacs[spec.name] = (vmac, index)
        if vmac.xmit_base:
            return spec
        return replace(spec, socket=replace(spec.socket, ifindex=index))

    def rename(self, old_name: str, new_name: str) -> None:
        """A reload kept the instance under another name: its macvlan goes with it."""
        if old_name in self._vmacs:
            self._vmacs[new_name] = self._vmacs.pop(old_name)

    async def carry(self, old_name: str, spec: InstanceSpec) -> None:
        """A reload changed the instance: keep its macvlan only if the vmac is the same."""
        if old_name in self._vmacs:
            self.rename(old_name, spec.name)
            if self._vmacs[spec.name][0] != spec.vmac:
                await self.drop_vmac(spec.name)

    async def drop_vmac(self, name: str) -> None:
        """After the instance let go of it: its GARP socket closed, then the link."""
        known = self._vmacs.pop(name, None)
        if known is None or self.ports.vmac is None:
            return
        _close(self._frames.pop(known[0].ifname, None))
        await self.ports.vmac.delete(known[0])

    def frame_port(self, spec: InstanceSpec) -> FramePort | None:
        ifname = spec.garp_ifname
        if ifname not in self._frames:
            try:
                self._frames[ifname] = self.ports.open_frames(ifname)
            except OSError as exc:
                self.log.log(f"cannot open a gratuitous ARP socket on {ifname}: {exc}")
                self._frames[ifname] = None
        return self._frames[ifname]

    def vmac_ifnames(self) -> dict[str, str]:
        """Instance name -> the macvlan it runs on (keepalived's `vmac_ifname`)."""
        return {name: vmac.ifname for name, (vmac, _) in self._vmacs.items()}

    async def close(self) -> None:
        """At stop: every GARP socket, then every macvlan, then the sysctls we changed."""
        for frames in self._frames.values():
            _close(frames)
        self._frames.clear()
        for name in list(self._vmacs):
            await self.drop_vmac(name)
        if self.ports.vmac is not None:
            self.ports.vmac.restore()


def _close(frames: FramePort | None) -> None:
    close = getattr(frames, "close", None)
    if close is not None:
        close()
