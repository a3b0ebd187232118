#!/bin/sh
# Prepares the VM that runs the real-IPVS tests (tests/ipvs): the host kernel has no IPVS,
# so those tests boot Debian's own kernel under qemu with virtme-ng (see netlab/vm.py).
# Idempotent and quiet when everything is already there; called by `make vm`.
#
# Steps (each skipped when its result exists):
#   1. Debian packages: qemu-system-x86 kmod busybox-static ipvsadm (scripts/install-debs.sh)
#   2. the kernel package that linux-image-amd64 depends on: downloaded (not installed, no
#      bootloader touched) and unpacked into .vm/kernel/<package>/ (git-ignored)
#   3. depmod for its modules, in the cache (see below why not in the host's /lib/modules)
# virtme-ng itself comes from pyproject's `test` extra (make venv).
#
# Not root: prints why and exits 0; the ipvs tests then skip (or fail under CI's
# PYKEEPALIVED_REQUIRE_REAL=1) with `python -m netlab.vm --check`'s reason.
# Usage: scripts/vm-kernel.sh   (from anywhere; works on the checkout it lives in)
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "vm-kernel: not root, skipping VM set-up (tests/ipvs will skip)" >&2
    exit 0
fi

scripts/install-debs.sh qemu-system-x86 kmod busybox-static ipvsadm

# The flavour's current ABI package, e.g. linux-image-6.1.0-57-amd64. A machine whose apt
# lists were never fetched knows no such dependency: fetch them once and ask again.
kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}
pkg="$(kernel_package)"
if [ -z "$pkg" ]; then
    apt-get update -qq
    pkg="$(kernel_package)"
fi
if [ -z "$pkg" ]; then
    echo "vm-kernel: apt-cache knows no kernel package behind linux-image-amd64" >&2
    exit 1
fi

dest=".vm/kernel/$pkg"
if ! ls "$dest"/boot/vmlinuz-* >/dev/null 2>&1; then
    echo "vm-kernel: downloading and unpacking $pkg into $dest"
    mkdir -p .vm/kernel
    scratch="$(mktemp -d .vm/download.XXXXXX)"
    trap 'rm -rf "$scratch"' EXIT
    # apt's download sandbox user cannot write into this root-owned folder; download as
    # root instead of printing a warning about it.
    # Lists older than the mirror name a file it no longer has: refresh them once and retry.
    download() { (cd "$scratch" && apt-get download -qq -o APT::Sandbox::User=root "$pkg"); }
    download || { apt-get update -qq && download; }
    mkdir -p "$scratch/root"
    dpkg-deb -x "$scratch"/*.deb "$scratch/root"
    rm -rf "$dest"
    mv "$scratch/root" "$dest"
fi

# Modules: vng finds them beside the image (<dest>/lib/modules/<ver>) and links them into
# the guest's /lib/modules, so nothing is written to the host's /lib/modules. The package
# ships no modules.dep (its postinst makes it); without one modprobe in the guest finds
# nothing, so make it here, in the cache (depmod -b <root> reads <root>/lib/modules/<ver>).
for moddir in "$dest"/lib/modules/*; do
    ver="$(basename "$moddir")"
    if [ ! -e "$moddir/modules.dep" ]; then
        echo "vm-kernel: depmod $ver"
        depmod -a -b "$dest" "$ver"
    fi
done

# A newer ABI replaced an older one: drop the old unpacked kernels (about 400 MB each).
for old in .vm/kernel/*; do
    [ "$old" = "$dest" ] || [ ! -d "$old" ] || { echo "vm-kernel: removing $old"; rm -rf "$old"; }
done
