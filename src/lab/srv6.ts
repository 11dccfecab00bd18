// SRv6 on lab routers: the locator device and the kernel's seg6local End / End.X / End.DX4 routes.
import { addAddress, ipIn, setLinkUp } from "./netns.js";
import { SID_IFACE } from "./naming.js";
import type { PlannedRouter } from "./plan.js";

/** Sysctls of a router namespace, set before its interfaces exist so they inherit them. */
export const ROUTER_SYSCTLS = [
  "net.ipv6.conf.all.forwarding=1",
  "net.ipv4.ip_forward=1",
  // End.DX4 and SRv6 paths make IPv4 traffic asymmetric: no reverse-path filter.
  "net.ipv4.conf.all.rp_filter=0",
  "net.ipv4.conf.default.rp_filter=0",
  "net.ipv6.conf.all.seg6_enabled=1",
  "net.ipv6.conf.default.seg6_enabled=1",
  "net.ipv6.conf.all.accept_dad=0",
  "net.ipv6.conf.default.accept_dad=0",
  "net.ipv6.conf.all.accept_ra=0",
  "net.ipv6.conf.default.accept_ra=0",
  // A real router keeps its interface addresses when a link goes down (Linux drops IPv6 ones by
  // default; IPv4 ones it keeps). The End.X routes still go with the link: restore.ts puts them back.
  "net.ipv6.conf.all.keep_addr_on_down=1",
  "net.ipv6.conf.default.keep_addr_on_down=1",
];

/** Per-interface sysctls of a router interface. */
export function routerInterfaceSysctls(ifname: string): string[] {
  return [`net.ipv6.conf.${ifname}.seg6_enabled=1`, `net.ipv6.conf.${ifname}.accept_dad=0`];
}

/**
 * Creates sid0, a blackhole device holding an address of the locator prefix (so the locator is a
 * connected prefix that IS-IS advertises). Uses a dummy device, or ifb on kernels built without dummy.
 * Returns the device type used.
 */
export async function createSidDevice(ns: string, locatorAddress: string): Promise<"dummy" | "ifb"> {
  let kind: "dummy" | "ifb" = "dummy";
  try {
    await ipIn(ns, ["link", "add", SID_IFACE, "type", "dummy"]);
  } catch (dummyErr) {
    kind = "ifb";
    try {
      await ipIn(ns, ["link", "add", SID_IFACE, "type", "ifb"]);
    } catch (ifbErr) {
      throw new Error(`cannot create ${SID_IFACE} in ${ns}: neither dummy (${String(dummyErr)}) nor ifb (${String(ifbErr)}) devices are available`);
    }
  }
  await setLinkUp(ns, SID_IFACE);
  await addAddress(ns, SID_IFACE, locatorAddress);
  return kind;
}

/** ip arguments that install one SID as a seg6local route ("replace": also when it is there already). */
export function sidRouteArgs(sid: PlannedRouter["sids"][number], verb: "add" | "replace" = "add"): string[] {
  const base = ["-6", "route", verb, `${sid.sid}/128`, "encap", "seg6local", "action", sid.behavior];
  if (sid.behavior === "End.X") {
    if (!sid.nextHop) throw new Error(`End.X SID ${sid.sid} has no next hop`);
    return [...base, "nh6", sid.nextHop, "dev", sid.ifname];
  }
  if (sid.behavior === "End.DX4") {
    if (!sid.nextHop4) throw new Error(`End.DX4 SID ${sid.sid} has no IPv4 next hop`);
    return [...base, "nh4", sid.nextHop4, "dev", sid.ifname];
  }
  return [...base, "dev", sid.ifname];
}

/** Installs the router's End SID, one End.X SID per adjacency and one End.DX4 SID per dual-stack host behind it. */
export async function installSids(router: PlannedRouter): Promise<void> {
  for (const sid of router.sids) await ipIn(router.ns, sidRouteArgs(sid));
}
