// Makes links and routers look the way the faults in force say (fault-model.ts), whatever they look
// like now: level-triggered and idempotent, so a heal also repairs what someone else changed.
//
// - A link that is down has both veth ends administratively down (carrier off on both sides); the
//   kernel deletes the routes through them, End.X SIDs included.
// - A router that is down has its zebra and isisd killed with SIGKILL (no goodbye, as in a crash or a
//   power cut) and every link down: router links on both ends, host uplinks on the router's end only,
//   so its hosts see their carrier go, as a host whose gateway died, and keep their own addresses and
//   routes. Nothing forwards through it and nothing answers for it. It comes back as after a reboot:
//   links up, addresses, SIDs and host routes reinstalled, daemons started afresh.
// - drop and loss are the egress filter of tc-egress.ts on the sending end of each direction; the link
//   stays up and IS-IS keeps its adjacency.
import { routerIsDown, wantedLink, type LabFault } from "./fault-model.js";
import { ipIn } from "./netns.js";
import type { LabPlan, PlannedLink, PlannedRouter } from "./plan.js";
import { restoreRouter, restoreRouterInterface } from "./restore.js";
import { killRouterDaemons, startRouterDaemons } from "./routing.js";
import { clearEgressDrop, setEgressDrop } from "./tc-egress.js";

function routerOf(plan: LabPlan, name: string): PlannedRouter {
  const r = plan.routers.find((x) => x.name === name);
  if (!r) throw new Error(`no router ${name} in the lab's plan`);
  return r;
}

/** Like Promise.all, but every piece of work has ended before it rejects (nothing left running behind an error). */
async function settleAll(work: Array<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

const setAdmin = (ns: string, ifname: string, up: boolean) => ipIn(ns, ["link", "set", "dev", ifname, up ? "up" : "down"]);

/** Brings a router link (both ends) to the state the faults ask for: filters, then up or down, then what an up link must carry. */
export async function reconcileCoreLink(plan: LabPlan, link: PlannedLink, faults: LabFault[]): Promise<void> {
  const want = wantedLink(faults, { id: link.id, a: link.a.node, b: link.b.node });
  const ends = [
    { end: link.a, r: routerOf(plan, link.a.node), drop: want.dropAToB },
    { end: link.b, r: routerOf(plan, link.b.node), drop: want.dropBToA },
  ];
  for (const { end, r, drop } of ends) await (drop === null ? clearEgressDrop(r.ns, end.ifname) : setEgressDrop(r.ns, end.ifname, drop));
  for (const { end, r } of ends) await setAdmin(r.ns, end.ifname, !want.down);
  if (!want.down) for (const { end, r } of ends) await restoreRouterInterface(plan, r, end.ifname);
}

/** A host uplink follows its router: its router's end is down exactly when the router is. */
async function reconcileAccessLink(plan: LabPlan, link: PlannedLink, faults: LabFault[]): Promise<void> {
  const r = routerOf(plan, link.b.node);
  const up = !routerIsDown(faults, r.name);
  await setAdmin(r.ns, link.b.ifname, up);
  if (up) await restoreRouterInterface(plan, r, link.b.ifname);
}

export async function reconcileLink(plan: LabPlan, link: PlannedLink, faults: LabFault[]): Promise<void> {
  await (link.kind === "core" ? reconcileCoreLink(plan, link, faults) : reconcileAccessLink(plan, link, faults));
}

/**
 * Brings a router and its links to the state the faults ask for. Going down, the daemons die before
 * the links go; coming back, the links and SIDs are in place before the daemons start.
 */
export async function reconcileRouter(plan: LabPlan, router: string, faults: LabFault[]): Promise<void> {
  const r = routerOf(plan, router);
  const links = plan.links.filter((l) => l.a.node === router || l.b.node === router);
  if (routerIsDown(faults, router)) {
    await killRouterDaemons(router);
    for (const l of links) await reconcileLink(plan, l, faults);
    return;
  }
  for (const l of links) await reconcileLink(plan, l, faults);
  await restoreRouter(plan, r);
  await startRouterDaemons(r);
}

/** Brings every link and router to the state the faults ask for. */
export async function reconcileAll(plan: LabPlan, faults: LabFault[]): Promise<void> {
  const down = plan.routers.filter((r) => routerIsDown(faults, r.name));
  for (const r of down) await killRouterDaemons(r.name);
  await settleAll(plan.links.map((l) => reconcileLink(plan, l, faults)));
  await settleAll(
    plan.routers
      .filter((r) => !routerIsDown(faults, r.name))
      .map(async (r) => {
        await restoreRouter(plan, r);
        await startRouterDaemons(r);
      }),
  );
}
