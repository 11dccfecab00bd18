#!/usr/bin/env bash
# Makes a fresh Debian 12 machine ready for Cairn: checks root and kernel features, installs the
# Debian and npm packages Cairn uses, builds the eBPF object and the TypeScript. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "cairn setup: $*" >&2; exit 1; }
step() { echo "==> $*"; }

[ "$(id -u)" -eq 0 ] || fail "must run as root (the lab creates network namespaces and loads eBPF programs); try: sudo $0"
[ -e /proc/sys/net/ipv6/conf/all/seg6_enabled ] || fail "this kernel has no SRv6 support (no /proc/sys/net/ipv6/conf/all/seg6_enabled); Cairn needs CONFIG_IPV6_SEG6_LWTUNNEL"
[ -e /sys/kernel/btf/vmlinux ] || fail "this kernel exposes no BTF (/sys/kernel/btf/vmlinux missing); Cairn's eBPF program needs CONFIG_DEBUG_INFO_BTF"
grep -q '^cgroup2 ' /proc/mounts || fail "no cgroup v2 mount found in /proc/mounts; Cairn identifies applications by cgroup v2"
command -v node >/dev/null || fail "Node.js 20 or newer is required (node not found)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "Node.js 20 or newer is required (found $(node --version))"

# dnsmasq-base, not dnsmasq: the lab runs its own DNS server, and dnsmasq-base is the program alone,
# with no system-wide service that would start at boot and take port 53. iperf3 is for throughput tests;
# nftables counts a test flow's packets in each router (path proofs that probes do not blur).
# etcd-server is the store of controller replicas (--etcd); the tests start their own etcd on free
# loopback ports, and the policy below keeps the package from starting the system one on 2379.
# chromium is the headless browser the web UI's tests drive (playwright-core); prometheus (with promtool)
# scrapes the controller and agents in the metrics tests, and lints their exposition. systemd is for
# systemd-analyze, which checks the units in packaging/systemd (nothing here runs systemd as PID 1).
DEBS=(clang llvm libbpf-dev bpftool linux-libc-dev make frr iproute2 util-linux procps iputils-ping tcpdump python3 dnsmasq-base iperf3 nftables etcd-server chromium prometheus systemd)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  # Keep package scripts from starting system-wide daemons (FRR's, iperf3's, etcd's, Prometheus'): the lab and tests run their own.
  policy=/usr/sbin/policy-rc.d
  had_policy=0; [ -e "$policy" ] && had_policy=1
  [ $had_policy -eq 1 ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; }
  trap '[ $had_policy -eq 1 ] || rm -f "$policy"' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed; check the network and /etc/apt/sources.list"
  apt-get install -y -qq "${missing[@]}" >/dev/null || fail "could not install: ${missing[*]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >/dev/null || fail "npm ci failed"
fi

step "building the eBPF datapath"
make -s -C src/datapath || fail "building the eBPF object failed"
step "building TypeScript"
npx tsc -p tsconfig.json || fail "TypeScript build failed"
step "building the web UI (Vite)"
npm run -s build:ui >/dev/null || fail "building the web UI failed (npm run build:ui shows why)"
