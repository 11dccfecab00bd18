// End to end: the lab's MTUs, IPv4 routing over IS-IS and End.DX4 decapsulation, on one dual-stack lab.
// Needs root, FRR (Debian's frr package) and ping (iputils-ping).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Topology } from "../core/model.js";
import { dx4 } from "../core/testing.js";
import { sendAndTrace } from "../demo/path-proof.js";
import { labExecCapture } from "./exec.js";
import { labDown, labUp } from "./lab.js";
import { interfaceName } from "./naming.js";
import { ipIn, readLinks } from "./netns.js";
import { nsName } from "./paths.js";
import { buildPlan } from "./plan.js";
import { labSpecSkip, ping, rxPackets, squareTopology } from "./testing.js";

/** The square (r1-r2-r4 is the IGP path), with a jumbo r3-r4 link. */
const square: Topology = (() => {
  const t = squareTopology();
  return { ...t, links: t.links.map((l) => (l.id === "r3-r4" ? { ...l, mtu: 9000 } : l)) };
})();
const H2_V4 = "10.0.4.10";
const order = square.routers.map((r) => r.name);

describe("lab: MTUs, IPv4 and End.DX4", { skip: labSpecSkip(), concurrency: false }, () => {
  before(async () => {
    await labUp(square);
  });

  after(async () => {
    await labDown().catch((err: unknown) => console.error("cleanup failed:", err));
  });

  test("every veth has a 1500-byte MTU unless its link says otherwise; default routes carry no mtu", async () => {
    for (const l of buildPlan(square).links) {
      for (const end of [l.a, l.b]) {
        const mtu = readLinks(nsName(end.node)).find((x) => x.ifname === end.ifname)?.mtu;
        assert.equal(mtu, l.id === "r3-r4" ? 9000 : 1500, `${end.node}/${end.ifname} (${l.id})`);
      }
    }
    for (const family of ["-6", "-4"]) {
      const { stdout } = await ipIn(nsName("h1"), [family, "route", "show", "default"]);
      assert.match(stdout, /^default via \S+ dev eth0/, `IPv${family === "-6" ? 6 : 4} default route`);
      assert.doesNotMatch(stdout, /\bmtu\b/);
    }
  });

  test("full-sized IPv6 and IPv4 packets cross the lab unfragmented at 1500 bytes", async () => {
    /** Echo replies to two pings of `payload` bytes that may not be fragmented. */
    const unfragmented = async (family: string, to: string, payload: number) => {
      const r = await labExecCapture("h1", { command: ["ping", family, "-M", "do", "-s", String(payload), "-c", "2", "-i", "0.2", "-W", "1", "-q", to] });
      return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
    };
    assert.equal(await unfragmented("-6", "2001:db8:4::10", 1500 - 40 - 8), 2);
    assert.equal(await unfragmented("-4", H2_V4, 1500 - 20 - 8), 2);
    assert.equal(await unfragmented("-4", H2_V4, 1500 - 20 - 8 + 1), 0, "one byte more does not fit");
  });

  test("routers forward IPv4 over IS-IS; unsteered IPv4 follows the IGP's shortest path r1 > r2 > r4", async () => {
    const N = 60;
    const r2In = interfaceName(square, "r2", "r1");
    const r3In = interfaceName(square, "r3", "r1");
    const before = { r2: rxPackets("r2", r2In), r3: rxPackets("r3", r3In) };
    assert.equal(await ping("h1", H2_V4, N), N);
    const d = { r2: rxPackets("r2", r2In) - before.r2, r3: rxPackets("r3", r3In) - before.r3 };
    // IS-IS hellos (1/s) also show up in the counters, hence "< N / 2" rather than "== 0".
    assert.ok(d.r2 >= N && d.r3 < N / 2, `IPv4 ping h1 -> h2: ${JSON.stringify(d)}`);

    const udp = await sendAndTrace(square, { fromNode: "h1", toNode: "h2", toAddress: H2_V4, port: 7000, count: 300, order });
    assert.deepEqual(udp.countedOn, ["r1", "r2", "r4"], `IPv4 UDP: ${JSON.stringify(udp.deltas)}`);
    assert.equal(udp.received, udp.sent);
  });

  test("each router holds an End.DX4 SID per dual-stack host behind it", async () => {
    const { stdout } = await ipIn(nsName("r4"), ["-6", "route", "show", `${dx4(square, "h2")}/128`]);
    assert.match(stdout, new RegExp(`encap seg6local action End\\.DX4 nh4 ${H2_V4.replace(/\./g, "\\.")} dev h2`));
  });

  test("IPv4 steered with the kernel's seg6 encap (End of r3, then r4's End.DX4 for h2) reaches h2 over r1 > r3 > r4", async () => {
    const segs = [square.routers[2]!.sid, dx4(square, "h2")];
    await ipIn(nsName("h1"), ["-4", "route", "add", `${H2_V4}/32`, "encap", "seg6", "mode", "encap", "segs", segs.join(","), "dev", "eth0"]);
    try {
      const N = 60;
      const r2In = interfaceName(square, "r2", "r1");
      const r3In = interfaceName(square, "r3", "r1");
      const r4In = interfaceName(square, "r4", "r3");
      const before = { r2: rxPackets("r2", r2In), r3: rxPackets("r3", r3In), r4: rxPackets("r4", r4In) };
      assert.equal(await ping("h1", H2_V4, N), N, "every echo came back (replies return by plain IPv4 routing)");
      const d = { r2: rxPackets("r2", r2In) - before.r2, r3: rxPackets("r3", r3In) - before.r3, r4: rxPackets("r4", r4In) - before.r4 };
      assert.ok(d.r3 >= N && d.r4 >= N && d.r2 < N / 2, `steered IPv4 ping: ${JSON.stringify(d)}`);

      // UDP too, counted on every router; the sink's IPv4 socket only sees it once r4 has decapsulated it.
      const udp = await sendAndTrace(square, { fromNode: "h1", toNode: "h2", toAddress: H2_V4, port: 7001, count: 300, order });
      assert.deepEqual(udp.countedOn, ["r1", "r3", "r4"], `steered IPv4 UDP: ${JSON.stringify(udp.deltas)}`);
      assert.equal(udp.received, udp.sent);
    } finally {
      await ipIn(nsName("h1"), ["-4", "route", "del", `${H2_V4}/32`]);
    }
  });
});
