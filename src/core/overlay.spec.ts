// The overlay's marks: set from the localisation, sticky without evidence, cleared after the
// hold-down of healthy probes, and the watch probes and exclusions they give.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PathState } from "./elements.js";
import { probedElements } from "./elements.js";
import { localise } from "./localise.js";
import { nextOverlay, unavailableOf, watchProbesByHost, type Overlay, type ProbedPath } from "./overlay.js";

function probed(host: string, routers: string[], state: PathState, sinceMs = 0): ProbedPath {
  const links = routers.slice(1).map((r, i) => `${routers[i]}-${r}`);
  const probeSids = [...routers.slice(1), ...routers.slice(0, -1).reverse()].map((r) => `fc00:0:${r.slice(1)}::1`);
  return { id: `${host}:${routers.join(">")}`, host, state, elements: probedElements(host, routers, links), probeSids, routers, links, sinceMs };
}

/** One evaluation: localise the paths, then step the overlay. */
function step(prev: Overlay, paths: ProbedPath[], nowMs: number, holdDownMs = 3000) {
  return nextOverlay(prev, localise(paths), paths, nowMs, holdDownMs);
}

// h1 reaches r3 over r2 (failing) and over r4 (fine); h2, behind r2, reaches r3 over r4: r2 itself
// works, which leaves the links r1-r2 and r2-r3 as suspects.
const failing = probed("h1", ["r1", "r2", "r3"], "down", 1000);
const around = probed("h1", ["r1", "r4", "r3"], "up", 0);
const viaR2 = probed("h2", ["r2", "r4", "r3"], "up", 0);

test("a suspect is marked at once; the mark keeps the failing path under watch", () => {
  const s = step(new Map(), [failing, around, viaR2], 5000);
  assert.deepEqual([...s.overlay.keys()], ["link:r1-r2", "link:r2-r3"]);
  const mark = s.overlay.get("link:r2-r3")!;
  assert.deepEqual([mark.state, mark.sinceMs, mark.lastSuspectMs, mark.source], ["down", 5000, 5000, "localisation"]);
  assert.deepEqual(mark.watch, [{ host: "h1", probeSids: failing.probeSids, routers: failing.routers, links: failing.links }]);
  assert.deepEqual(s.changes.map((c) => [c.element.id, c.previous, c.state, c.reason]), [
    ["r1-r2", "up", "down", "on 1 down path and no healthy one; in 50% of the minimal explanations"],
    ["r2-r3", "up", "down", "on 1 down path and no healthy one; in 50% of the minimal explanations"],
  ]);
  assert.deepEqual(unavailableOf(s.overlay), { down: { links: ["r1-r2", "r2-r3"], routers: [] }, degraded: { links: [], routers: [] } });
  assert.deepEqual(watchProbesByHost(s.overlay), new Map([["h1", [{ probeSids: failing.probeSids, routers: failing.routers, links: failing.links, reason: "link r1-r2 marked down, link r2-r3 marked down" }]]]));
  assert.equal(s.nextDeadlineMs, null);
});

test("a mark stays while nothing shows the element healthy, even with no evidence left", () => {
  const marked = step(new Map(), [failing, around, viaR2], 5000).overlay;
  const same = step(marked, [failing, around, viaR2], 6000);
  assert.deepEqual(same.changes, []);
  assert.equal(same.overlay.get("link:r2-r3")!.sinceMs, 5000, "since is when the state began");
  assert.equal(same.overlay.get("link:r2-r3")!.lastSuspectMs, 6000);
  const silent = step(same.overlay, [around], 9000);
  assert.deepEqual([silent.changes, [...silent.overlay.keys()]], [[], ["link:r1-r2", "link:r2-r3"]]);
});

test("cleared after up paths crossed it for the hold-down, counted from the later of their 'up since' and the last suspicion", () => {
  const marked = step(new Map(), [failing, around, viaR2], 5000).overlay;
  const healed = probed("h1", ["r1", "r2", "r3"], "up", 5500);
  // The path is up since 5.5 s, but the element was a suspect until 5 s: the count starts at 5.5 s.
  const early = step(marked, [healed, around, viaR2], 7000);
  assert.deepEqual(early.changes, []);
  assert.deepEqual(early.clearsAtMs, new Map([["link:r1-r2", 8500], ["link:r2-r3", 8500]]));
  assert.equal(early.nextDeadlineMs, 8500);
  const cleared = step(early.overlay, [healed, around, viaR2], 8500);
  assert.deepEqual(cleared.changes.map((c) => [c.element.id, c.previous, c.state, c.reason]), [
    ["r1-r2", "down", "up", "up on 1 probed path for 3000 ms (hold-down 3000 ms)"],
    ["r2-r3", "down", "up", "up on 1 probed path for 3000 ms (hold-down 3000 ms)"],
  ]);
  assert.equal(cleared.overlay.size, 0);
  assert.deepEqual(watchProbesByHost(cleared.overlay), new Map());
  // A path that was already up before the last suspicion counts from the suspicion.
  const old = probed("h1", ["r1", "r2", "r3"], "up", 0);
  assert.deepEqual(step(marked, [old, around, viaR2], 6000).clearsAtMs.get("link:r2-r3"), 8000);
});

test("failing again during the hold-down starts the count over", () => {
  const marked = step(new Map(), [failing, around, viaR2], 5000).overlay;
  const up = step(marked, [probed("h1", ["r1", "r2", "r3"], "up", 5500), around, viaR2], 7000).overlay;
  const again = step(up, [probed("h1", ["r1", "r2", "r3"], "down", 7500), around, viaR2], 8000);
  assert.deepEqual(again.changes, []);
  assert.equal(again.overlay.get("link:r2-r3")!.lastSuspectMs, 8000);
  const up2 = step(again.overlay, [probed("h1", ["r1", "r2", "r3"], "up", 8200), around, viaR2], 10_000);
  assert.equal(up2.clearsAtMs.get("link:r2-r3"), 11_200);
});

test("down becomes degraded when a degraded path crosses it; degraded becomes down when it is a down suspect", () => {
  const marked = step(new Map(), [failing, around, viaR2], 5000).overlay;
  const lossy = step(marked, [probed("h1", ["r1", "r2", "r3"], "degraded", 6000), around, viaR2], 6500);
  assert.deepEqual(lossy.changes.map((c) => [c.element.id, c.previous, c.state]), [["r1-r2", "down", "degraded"], ["r2-r3", "down", "degraded"]]);
  assert.deepEqual(unavailableOf(lossy.overlay), { down: { links: [], routers: [] }, degraded: { links: ["r1-r2", "r2-r3"], routers: [] } });
  const dead = step(lossy.overlay, [failing, around, viaR2], 7000);
  assert.deepEqual(dead.changes.map((c) => [c.element.id, c.previous, c.state]), [["r1-r2", "degraded", "down"], ["r2-r3", "degraded", "down"]]);
  assert.equal(dead.overlay.get("link:r2-r3")!.sinceMs, 7000);
});

test("watch paths: distinct hosts first, at most two per mark; routers and hosts marked too, only routers avoided", () => {
  const paths = [
    probed("h1", ["r1", "r5", "r3"], "down"),
    probed("h1", ["r1", "r5", "r6"], "down"),
    probed("h2", ["r2", "r5", "r6"], "down"),
    probed("h1", ["r1", "r4", "r3"], "up"),
    probed("h2", ["r2", "r4", "r6"], "up"),
    probed("h2", ["r2", "r4", "r3"], "up"),
  ];
  const s = step(new Map(), paths, 1000);
  const r5 = s.overlay.get("router:r5")!;
  assert.equal(r5.state, "down");
  assert.deepEqual(r5.watch.map((w) => `${w.host}:${w.routers.join(">")}`), ["h1:r1>r5>r3", "h2:r2>r5>r6"]);
  assert.deepEqual(unavailableOf(s.overlay).down.routers, ["r5"]);
  const hostOnly = step(new Map(), [probed("h3", ["r7"], "down"), probed("h4", ["r7"], "up")], 1000);
  assert.deepEqual([...hostOnly.overlay.keys()], ["host:h3"]);
  assert.deepEqual(unavailableOf(hostOnly.overlay), { down: { links: [], routers: [] }, degraded: { links: [], routers: [] } });
});
