// Containers behind a lab host: their interface names and addresses inside the host's subnets. Pure.
import { formatAddress, parseAddress, parsePrefix } from "../core/ipv6.js";
import { formatAddress4, lastAddress4, parseAddress4, parsePrefix4 } from "../core/ipv4.js";
import { fnv1a32 } from "./naming.js";
import type { PlannedHost } from "./plan.js";

/** The host side of a container's veth: "c-<name>", or a short hashed form when that is too long. */
export function containerInterfaceName(container: string): string {
  const plain = `c-${container}`;
  if (plain.length <= 15 && /^[A-Za-z0-9_-]+$/.test(plain)) return plain;
  const stem = container.slice(0, 7).replace(/[^A-Za-z0-9_-]/g, "_");
  return `c-${stem}-${fnv1a32(container).toString(16).padStart(8, "0").slice(0, 5)}`;
}

/** Tries at most this many addresses after the host's before giving up. */
const MAX_TRIES = 1 << 16;

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

function fromBigInt(n: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/**
 * The first address after `host` in the host's IPv6 subnet (wrapping around, never the subnet's
 * first address) that is not taken.
 */
export function containerAddress6(host: Pick<PlannedHost, "name" | "address" | "prefixLen">, taken: Set<string>): string {
  const subnet = parsePrefix(`${host.address}/${host.prefixLen}`)!;
  const first = toBigInt(subnet.bytes);
  const size = 1n << BigInt(128 - subnet.len);
  const start = toBigInt(parseAddress(host.address)!) - first;
  for (let k = 1n; k <= BigInt(MAX_TRIES) && k < size; k++) {
    const offset = (start + k) % size;
    if (offset === 0n) continue;
    const candidate = formatAddress(fromBigInt(first + offset));
    if (!taken.has(candidate)) return candidate;
  }
  throw new Error(`no free IPv6 address left in ${host.name}'s subnet for a container`);
}

/** The first usable address after the host's in its IPv4 subnet (wrapping around) that is not taken. */
export function containerAddress4(host: Pick<PlannedHost, "name" | "address4" | "prefixLen4">, taken: Set<string>): string {
  const subnet = parsePrefix4(`${host.address4}/${host.prefixLen4}`);
  if (!subnet) throw new Error(`host ${host.name} has no IPv4 address`);
  const usable = lastAddress4(subnet) - subnet.network - 1; // without network and broadcast addresses
  const start = parseAddress4(host.address4!)! - subnet.network - 1;
  for (let k = 1; k < usable; k++) {
    const candidate = formatAddress4(subnet.network + 1 + ((start + k) % usable));
    if (!taken.has(candidate)) return candidate;
  }
  throw new Error(`no free IPv4 address left in ${host.name}'s subnet ${host.address4}/${host.prefixLen4} for a container`);
}
