#!/usr/bin/env bash
# Installs everything mariadb-tdx needs on Debian 12 and builds it. Run as root from the
# repository root; running it again is safe.
#
#   scripts/setup.sh                 runtime packages, test and benchmark tools, npm packages, build
#   scripts/setup.sh --runtime-only  only what the commands need at run time
set -euo pipefail

cd "$(dirname "$0")/.."

runtime_packages=(
  mariadb-server
  mariadb-client
  mariadb-plugin-hashicorp-key-management
  openssl
)
test_packages=(
  binutils
  gdb
  sysbench
  ripgrep
  # scan: real QEMU guest dumps in tests, the WebAssembly rebuild check, benchmark timings
  qemu-system-x86
  clang
  lld
  time
  # The VM tests: a Debian guest built with debootstrap, booted under QEMU (TCG), a cloud-init
  # seed ISO, libvirt domains through a private libvirtd, and the libvirt XML schema check.
  qemu-utils
  debootstrap
  e2fsprogs
  genisoimage
  libxml2-utils
  libvirt-clients
  libvirt-daemon
  libvirt-daemon-driver-qemu
  util-linux
  iproute2
)

packages=("${runtime_packages[@]}")
case "${1:-}" in
  --runtime-only) ;;
  "" | --test) packages+=("${test_packages[@]}") ;;
  *)
    printf 'setup: unknown option %s; use --runtime-only or no option\n' "$1" >&2
    exit 2
    ;;
esac

log() { printf 'setup: %s\n' "$*" >&2; }

if ! command -v node >/dev/null || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  log "Node.js 20 or later is required; found: $(node --version 2>/dev/null || echo none)"
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    log "installing ${missing[*]} needs root; run: sudo $0 $*"
    exit 1
  fi
  log "installing ${missing[*]}"
  # mariadb-tdx runs its own servers; keep the packages from starting the system service.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
  fi
  trap '[[ $created_policy == 1 ]] && rm -f "$policy"' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

log 'installing npm packages'
npm ci --no-audit --no-fund --loglevel=error
log 'building'
npm run build --silent
log 'ready'
