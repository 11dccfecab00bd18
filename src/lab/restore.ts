// Puts back on a router what the plan says belongs there, idempotently: interface addresses, SRv6
// SIDs, host routes. The kernel deletes a route with its nexthop's device when that device goes
// down (End.X and End.DX4 SIDs, host routes), and a real router reinstalls them when the link comes
// back; in the lab, bringing a link or router back through `cairn lab fault heal` does it.
import { ipIn, readLinks } from "./netns.js";
import type { LabPlan, PlannedRouter } from "./plan.js";
import { sidRouteArgs } from "./srv6.js";

/** Re-installs what the plan puts on one interface of a router (which must be up): addresses, the SIDs that leave through it, host routes. */
export async function restoreRouterInterface(plan: LabPlan, r: PlannedRouter, ifname: string): Promise<void> {
  const itf = r.interfaces.find((i) => i.name === ifname);
  if (!itf) throw new Error(`router ${r.name} has no interface ${ifname} in the plan`);
  await ipIn(r.ns, ["-6", "addr", "replace", itf.address, "dev", ifname, "nodad"]);
  if (itf.address4) await ipIn(r.ns, ["-4", "addr", "replace", itf.address4, "dev", ifname]);
  for (const sid of r.sids.filter((s) => s.ifname === ifname)) await ipIn(r.ns, sidRouteArgs(sid, "replace"));
  for (const h of plan.hosts.filter((x) => x.router === r.name && x.routerInterface === ifname)) {
    await ipIn(r.ns, ["-6", "route", "replace", `${h.address}/128`, "dev", ifname]);
    if (h.address4) await ipIn(r.ns, ["-4", "route", "replace", `${h.address4}/32`, "dev", ifname]);
  }
}

/** Re-installs the router's End SID and everything on each of its interfaces that is up (those down get theirs when they come up). */
export async function restoreRouter(plan: LabPlan, r: PlannedRouter): Promise<void> {
  const up = new Set(readLinks(r.ns).filter((l) => l.flags.includes("UP")).map((l) => l.ifname));
  for (const sid of r.sids.filter((s) => !r.interfaces.some((i) => i.name === s.ifname))) await ipIn(r.ns, sidRouteArgs(sid, "replace"));
  for (const itf of r.interfaces) if (up.has(itf.name)) await restoreRouterInterface(plan, r, itf.name);
}
