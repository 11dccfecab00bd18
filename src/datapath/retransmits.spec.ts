// The passive signal's kernel side for real (root): retransmits.bpf.o on the tcp_retransmit_skb raw tracepoint,
// two namespaces joined by a veth pair, TCP flows over IPv6 and IPv4 from one to the other, then
// an nftables drop in the receiver while the sender writes. The ring must hold the sender's
// retransmissions with their addresses and ports, and only the watched namespace's; the agent's
// watcher over such a ring must probe exactly the paths of the rules those flows match.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { test } from "node:test";
import { DEFAULT_RETX_OBJECT_PATH, openRetransmitRing, type RetransmitRing } from "./retransmits.js";
import { AF_INET, AF_INET6, type RetransmitEvent } from "./retransmit-layout.js";
import type { DatapathRule, PathSpec } from "./types.js";
import { pathKey } from "./plan.js";
import { realClock } from "../agent/clock.js";
import { RetransmitWatch, formatEventAddress, retransmitRoutes } from "../agent/retransmit-watch.js";

const NS_A = "cairn-t-tcpa";
const NS_B = "cairn-t-tcpb";
const A6 = "fd00:ca:7c::1";
const B6 = "fd00:ca:7c::2";
const A4 = "10.77.0.1";
const B4 = "10.77.0.2";
const PORT6 = 5201;
const PORT4 = 5202;
const PORT_QUIET = 5203; // a flow that keeps flowing: no retransmissions, no probes

const skip =
  process.getuid?.() !== 0 ? "needs root (network namespaces, bpf)" : !existsSync(DEFAULT_RETX_OBJECT_PATH) ? `${DEFAULT_RETX_OBJECT_PATH} missing: run make -C src/datapath` : false;

function sh(argv: string[], input?: string): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", input });
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr || r.error?.message}`);
}

const inNs = (ns: string, argv: string[], input?: string) => sh(["ip", "netns", "exec", ns, ...argv], input);
const nsInode = (ns: string) => statSync(`/run/netns/${ns}`).ino;

/** A node process in a namespace; resolves once it has printed `lines` lines. */
function nodeIn(ns: string, script: string, lines: number, children: ChildProcess[]): Promise<void> {
  const p = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(p);
  return new Promise((resolve, reject) => {
    let seen = 0;
    let err = "";
    p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    p.stdout!.on("data", (d: Buffer) => {
      seen += d.toString().split("\n").filter(Boolean).length;
      if (seen >= lines) resolve();
    });
    p.on("exit", (code) => reject(new Error(`${ns} process exited (${code}): ${err}`)));
    setTimeout(() => reject(new Error(`${ns} process not ready after 5 s: ${err}`)), 5000).unref();
  });
}

const SERVER = `const net = require("net");
for (const [h, p] of [["${B6}", ${PORT6}], ["${B4}", ${PORT4}], ["${B6}", ${PORT_QUIET}]])
  net.createServer((s) => { s.on("data", () => {}); s.on("error", () => {}); }).listen(p, h, () => console.log("listening", p));`;

const CLIENT = `const net = require("net");
for (const [h, p] of [["${B6}", ${PORT6}], ["${B4}", ${PORT4}], ["::ffff:${B4}", ${PORT4}], ["${B6}", ${PORT_QUIET}]]) {
  const s = net.connect(p, h, () => { console.log("connected", p); setInterval(() => s.write(Buffer.alloc(1000)), 5); });
  s.on("error", () => {});
}`;

const spec = (first: string): PathSpec => ({ mode: "inline", sids: [first], probe: [first, "fc00:0:9::1"] });

function rule(identity: string, dest: string, protocol: number, from: number, to: number, primary: PathSpec, backup: PathSpec | null = null): DatapathRule {
  return { identity, classId: 0, destinations: [dest], uid: null, source: null, protocol, portFrom: from, portTo: to, priority: 0, closed: false, primary, backup, useBackup: false, noLiveness: false };
}

test("tcp_retransmit_skb: the ring holds the watched namespace's retransmissions, with addresses and ports; the watcher probes their paths only", { skip, timeout: 30_000 }, async () => {
  const children: ChildProcess[] = [];
  const rings: RetransmitRing[] = [];
  let watch: RetransmitWatch | null = null;
  try {
    for (const ns of [NS_A, NS_B]) spawnSync("ip", ["netns", "del", ns]); // a run killed before its finally
    for (const ns of [NS_A, NS_B]) sh(["ip", "netns", "add", ns]);
    sh(["ip", "link", "add", "cairn-t-tcpa0", "netns", NS_A, "type", "veth", "peer", "name", "cairn-t-tcpb0", "netns", NS_B]);
    for (const [ns, dev, a6, a4] of [[NS_A, "cairn-t-tcpa0", A6, A4], [NS_B, "cairn-t-tcpb0", B6, B4]] as const) {
      sh(["ip", "-n", ns, "addr", "add", `${a6}/64`, "dev", dev, "nodad"]);
      sh(["ip", "-n", ns, "addr", "add", `${a4}/24`, "dev", dev]);
      sh(["ip", "-n", ns, "link", "set", "dev", dev, "up"]);
      sh(["ip", "-n", ns, "link", "set", "dev", "lo", "up"]);
    }
    const raw = openRetransmitRing({ netns: nsInode(NS_A) });
    const ofB = openRetransmitRing({ netns: nsInode(NS_B) });
    const own = openRetransmitRing(); // this process's namespace: none of these flows
    const forWatch = openRetransmitRing({ netns: nsInode(NS_A) });
    rings.push(raw, ofB, own, forWatch);

    // The rules of a host in NS_A: the two flows' paths, and paths they must not make probe.
    const [p6, p6b, p4, quiet, udp, other, port] = [2, 3, 4, 5, 6, 7, 8].map((n) => spec(`fc00:0:${n}::1`)) as [PathSpec, PathSpec, PathSpec, PathSpec, PathSpec, PathSpec, PathSpec];
    const rules = [
      rule("v6", "fd00:ca:7c::/64", 6, PORT6, PORT6, p6, p6b),
      rule("v4", "10.77.0.0/24", 0, PORT4, PORT4, p4),
      rule("quiet", "fd00:ca:7c::2/128", 6, PORT_QUIET, PORT_QUIET, quiet),
      rule("udp", "fd00:ca:7c::/64", 17, 0, 65535, udp),
      rule("elsewhere", "2001:db8::/32", 6, 0, 65535, other),
      rule("other-port", "10.77.0.2/32", 6, 80, 443, port),
    ];
    const probes: { keys: string[]; at: number; ns: bigint }[] = [];
    const logs: string[] = [];
    watch = new RetransmitWatch(forWatch, realClock, (keys) => probes.push({ keys, at: Date.now(), ns: process.hrtime.bigint() }), (l) => logs.push(l), (k) => k.split("|")[1]!);

    await nodeIn(NS_B, SERVER, 3, children);
    await nodeIn(NS_A, CLIENT, 4, children);
    await new Promise((r) => setTimeout(r, 300));
    // Before the drop only the handshakes may have retransmitted (a veth's first IPv6 SYN can be lost while it comes up).
    const before = raw.read().events.length;
    watch.setRoutes(retransmitRoutes(rules, () => true)); // polling starts: what came before is skipped

    const dropFrom = Date.now();
    const dropNs = process.hrtime.bigint();
    inNs(NS_B, ["nft", "-f", "-"], `table inet cairn_t_tcp {\n chain drop_in {\n  type filter hook input priority 0;\n  tcp dport { ${PORT6}, ${PORT4} } drop\n }\n}\n`);
    await new Promise((r) => setTimeout(r, 1500));
    inNs(NS_B, ["nft", "delete", "table", "inet", "cairn_t_tcp"]);
    await new Promise((r) => setTimeout(r, 500));

    const { events, lost } = raw.read();
    const fmt = (e: RetransmitEvent) => `${formatEventAddress(e.saddr)}:${e.sport} > ${formatEventAddress(e.daddr)}:${e.dport} family ${e.family} state ${e.state}`;
    const by = (port: number) => events.filter((e) => e.dport === port);
    const summary = `${events.length} events (${by(PORT6).length} IPv6, ${by(PORT4).length} IPv4, ${before} before the drop, ${lost} lost): ${events.slice(0, 6).map(fmt).join("; ")}`;
    console.log(summary);
    assert.equal(lost, 0);
    assert.ok(by(PORT6).length >= 2 && by(PORT4).length >= 2, summary);
    assert.deepEqual(new Set(events.map((e) => e.dport)), new Set([PORT6, PORT4]), "only the dropped flows retransmit");
    for (const e of by(PORT6)) assert.deepEqual([e.family, formatEventAddress(e.saddr), formatEventAddress(e.daddr), e.state], [AF_INET6, A6, B6, 1], fmt(e));
    for (const e of by(PORT4)) assert.deepEqual([formatEventAddress(e.saddr), formatEventAddress(e.daddr), e.state], [A4, B4, 1], fmt(e));
    // An IPv4 socket, and an IPv6 one talking to ::ffff:10.77.0.2: both IPv4-mapped in the ring.
    assert.deepEqual(new Set(by(PORT4).map((e) => e.family)), new Set([AF_INET, AF_INET6]));
    assert.equal(new Set(by(PORT4).map((e) => e.sport)).size, 2);
    assert.equal(new Set(by(PORT6).map((e) => e.sport)).size, 1, "one flow, one source port");
    const seqs = events.map((e) => e.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + BigInt(i)), "consecutive sequence numbers");

    const mine = (e: RetransmitEvent) => [A6, A4].includes(formatEventAddress(e.saddr));
    assert.deepEqual(ofB.read().events.filter(mine).map(fmt), [], "the receiver's namespace records none of them");
    assert.deepEqual(own.read().events.filter(mine).map(fmt), [], "nor does this process's namespace");

    const probed = new Set(probes.flatMap((p) => p.keys));
    assert.deepEqual(probed, new Set([pathKey(p6), pathKey(p6b), pathKey(p4)]), `probed: ${[...probed].join("; ")}`);
    const first = probes[0]!.at - dropFrom;
    // The kernel's clock and process.hrtime are both CLOCK_MONOTONIC: from the first retransmission to its probe.
    const signalMs = Number(probes[0]!.ns - events[0]!.ns) / 1e6;
    const counters = watch.counters();
    console.log(`watcher: ${JSON.stringify(counters)}; first retransmission ${(Number(events[0]!.ns - BigInt(dropNs)) / 1e6).toFixed(1)} ms after the drop began, its probe ${signalMs.toFixed(1)} ms later; ${probes.length} probe batches; log: ${logs.join(" | ")}`);
    assert.ok(first < 1500, `first probe ${first} ms after the drop`);
    assert.ok(signalMs >= 0 && signalMs < 100, `probe ${signalMs} ms after the first retransmission (polled every 20 ms)`);
    assert.equal(counters.matched, counters.seen);
    assert.equal(logs.length, 3, "one line per path");
    assert.match(logs.find((l) => l.includes("fc00:0:2::1"))!, new RegExp(`TCP retransmissions to ${B6} port ${PORT6}: probing now`));
  } finally {
    watch?.stop();
    for (const r of rings) r.close(); // again for the watcher's: close is idempotent
    for (const c of children) c.kill("SIGKILL");
    for (const ns of [NS_A, NS_B]) spawnSync("ip", ["netns", "del", ns]);
  }
});
