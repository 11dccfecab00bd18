// The passive signal wired into the agent: a controller on loopback, the in-memory datapath, a
// fake probe transport (to see which paths get a probe) and a fake retransmission ring. Probes
// run on a 10-minute schedule here, so every probe seen is one the signal asked for.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startController } from "../controller/server.js";
import { collectingLog, sleep, testIntents, testTopology, waitFor } from "../controller/testing.js";
import { MemoryDatapath } from "../datapath/memory-datapath.js";
import { AF_INET6, type RetransmitEvent } from "../datapath/retransmit-layout.js";
import { parseAddress } from "../core/ipv6.js";
import { runAgent } from "./agent.js";
import type { RetransmitSource } from "./retransmit-watch.js";
import type { ProbeTransport } from "./prober.js";

// h1 (behind r1) to h2 (behind r4): iperf over TCP on r1 > r2 > r4 (latency), DNS over UDP on the IGP's r1 > r3 > r4.
const INTENTS = `intents:
  - name: iperf
    match: { hosts: [h1], to: h2, protocol: tcp, ports: [5201] }
    objective: latency
  - name: dns
    match: { hosts: [h1], to: h2, protocol: udp, ports: [53] }
    objective: igp
`;
const H1 = "2001:db8:1::10";
const H2 = "2001:db8:4::10";

test("agent: TCP retransmissions to a steered destination probe that rule's path at once, and no other", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-tcp-signal-"));
  const topology = testTopology();
  const c = await startController({ topology, intents: testIntents(topology, INTENTS), listen: [{ host: "::1", port: 0 }], log: collectingLog("controller").log });
  const sent: string[] = [];
  const transport: ProbeTransport = { send: (to) => void sent.push(to), onMessage: () => {}, close: () => {} };
  const queue: RetransmitEvent[] = [];
  let closed = false;
  const source: RetransmitSource = { read: () => ({ events: queue.splice(0), lost: 0 }), skip: () => void queue.splice(0), close: () => void (closed = true) };
  const logs = collectingLog("agent:h1");
  const slow = 600_000;
  const a = runAgent({
    controllerUrl: c.urls[0]!,
    host: "h1",
    interface: "eth0",
    datapath: new MemoryDatapath(),
    probe: { address6: () => H1, mtu: () => 1500, user: () => null },
    cgroupMount: dir,
    backoff: { initialMs: 20, maxMs: 200 },
    probes: { transport, settings: { intervalMs: slow, downIntervalMs: slow, startGraceMs: slow } },
    tcpSignal: { source },
    log: logs.log,
  });
  let seq = 0n;
  const retransmit = (dport: number, daddr = H2) =>
    queue.push({ seq: ++seq, ns: 0n, family: AF_INET6, sport: 40000, dport, state: 1, saddr: parseAddress(H1)!, daddr: parseAddress(daddr)! });
  try {
    const s = await waitFor("h1 probing both paths", () => {
      const st = a.status();
      return st.synced && st.paths.length === 2 ? st : undefined;
    });
    const iperf = s.paths.find((p) => p.usedBy.some((u) => u.key === "iperf#0"))!;
    const dns = s.paths.find((p) => p.usedBy.some((u) => u.key === "dns#0"))!;
    assert.deepEqual([iperf.nodes, dns.nodes], [["r1", "r2", "r4"], ["r1", "r3", "r4"]]);
    assert.notEqual(iperf.probe[0], dns.probe[0]);
    const before = sent.length;

    retransmit(5201);
    retransmit(5201);
    await waitFor("a probe on iperf's path", () => sent.length > before);
    await sleep(100);
    assert.deepEqual(sent.slice(before), [iperf.probe[0]], "one probe, on iperf's path only");
    assert.ok(logs.lines.some((l) => l.includes("path r1>r2>r4: TCP retransmissions to 2001:db8:4::10 port 5201: probing now")), logs.lines.join("\n"));

    retransmit(53); // TCP to the DNS port: the DNS rule is UDP, iperf's is port 5201
    retransmit(5201, "2001:db8:2::10"); // h3: no rule
    await sleep(100);
    assert.deepEqual(sent.slice(before), [iperf.probe[0]], "no probe for flows no TCP rule steers");
    assert.deepEqual(a.status().retransmits, { seen: 4, matched: 2, lost: 0, probes: 1 });
  } finally {
    await a.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(closed, true, "the ring is closed when the agent stops");
});
