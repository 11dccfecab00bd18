// Shared test fixtures for the controller/agent/api specs (not used at run time).
import assert from "node:assert/strict";
import type { Intent, Topology } from "../core/model.js";
import { formatConfigError } from "../config/errors.js";
import { parseIntents } from "../config/intents-file.js";
import { parseTopology } from "../config/topology-file.js";
import type { TestContext } from "node:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { scratchDir, waitFor as waitUntil } from "../certs/testing.js";
import { runController, type ControllerCliOptions } from "./main.js";
import type { ControllerHandle } from "./server.js";

/**
 * r1 -- r2 -- r4 with 1 ms links (IGP 10 each), and r1 -- r3 -- r4 with 5 ms
 * links (IGP 5 each): IGP prefers r3, latency prefers r2. h1@r1, h2@r4, h3@r2.
 */
export const TOPOLOGY_YAML = `routers:
  - { name: r1, locator: "fc00:0:1::/48" }
  - { name: r2, locator: "fc00:0:2::/48" }
  - { name: r3, locator: "fc00:0:3::/48" }
  - { name: r4, locator: "fc00:0:4::/48" }
hosts:
  - { name: h1, router: r1, address: "2001:db8:1::10/64" }
  - { name: h2, router: r4, address: "2001:db8:4::10/64" }
  - { name: h3, router: r2, address: "2001:db8:2::10/64" }
links:
  - { a: r1, b: r2, igp: 10, delay: 1ms }
  - { a: r2, b: r4, igp: 10, delay: 1ms }
  - { a: r1, b: r3, igp: 5, delay: 5ms }
  - { a: r3, b: r4, igp: 5, delay: 5ms }
`;

/** h1: web (2 port ranges) and bulk, both steered via r2; h3: h3-out via r1. h2: nothing. */
export const INTENTS_V1 = `intents:
  - name: web
    match: { hosts: [h1], app: web, to: h2, protocol: tcp, ports: [443, "8000-8080"] }
    objective: latency
  - name: bulk
    match: { hosts: [h1], to: h2 }
    objective: igp
    constraints: { avoidNodes: [r3] }
  - name: h3-out
    match: { hosts: [h3], to: "2001:db8:4::/64" }
    constraints: { avoidLinks: [r2-r4] }
`;

/** v1 with web down to one port range and bulk aimed at h2's /64: only h1 changes. */
export const INTENTS_V2 = `intents:
  - name: web
    match: { hosts: [h1], app: web, to: h2, protocol: tcp, ports: [443] }
    objective: latency
  - name: bulk
    match: { hosts: [h1], to: "2001:db8:4::/64" }
    objective: igp
    constraints: { avoidNodes: [r3] }
  - name: h3-out
    match: { hosts: [h3], to: "2001:db8:4::/64" }
    constraints: { avoidLinks: [r2-r4] }
`;

/** Two validation errors on lines 3 (unknown host) and 4 (bad port). */
export const INTENTS_INVALID = `intents:
  - name: web
    match: { hosts: [h9], to: h2, protocol: tcp,
             ports: ["99999"] }
`;

export const R2_END = "fc00:0:2::1";
export const R1_END = "fc00:0:1::1";

export function testTopology(): Topology {
  const r = parseTopology(TOPOLOGY_YAML, "topology.yaml");
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  return r.value;
}

export function testIntents(topology: Topology, yaml = INTENTS_V1, file = "intents.yaml"): Intent[] {
  const r = parseIntents(yaml, file, topology);
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  return r.value;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A logger collecting lines (and printing them when CAIRN_TEST_LOG is set). */
export function collectingLog(prefix: string): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return {
    lines,
    log: (line) => {
      lines.push(line);
      if (process.env["CAIRN_TEST_LOG"]) process.stderr.write(`[${prefix}] ${line}\n`);
    },
  };
}

/** A TCP proxy in front of `url` that can be frozen: while frozen, neither side's bytes get through. */
export async function startFreezableProxy(url: string): Promise<{ url: string; setFrozen(frozen: boolean): void; close(): Promise<void> }> {
  const net = await import("node:net");
  const target = new URL(url);
  const sockets: import("node:net").Socket[] = [];
  let frozen = false;
  const proxy = net.createServer((down) => {
    const up = net.connect({ host: target.hostname.replace(/^\[|\]$/g, ""), port: Number(target.port) });
    for (const [a, b] of [[down, up], [up, down]] as const) {
      a.on("data", (d) => {
        if (!frozen) b.write(d);
      });
      a.on("error", () => {});
      a.on("close", () => b.destroy());
    }
    sockets.push(down, up);
  });
  await new Promise<void>((r) => proxy.listen(0, "::1", r));
  return {
    url: `http://[::1]:${(proxy.address() as import("node:net").AddressInfo).port}`,
    setFrozen: (f) => (frozen = f),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    },
  };
}

/**
 * The controller as `cairn controller` runs it (runController), in-process on an ephemeral loopback
 * port, serving TOPOLOGY_YAML and INTENTS_V1 from a scratch directory; stopped when the test ends.
 */
export async function serveController(t: TestContext, o: Partial<ControllerCliOptions> & ({ tlsDir: string } | { insecure: true })): Promise<ControllerHandle> {
  const files = await scratchDir(t, "cairn-ctl-");
  await writeFile(join(files, "topology.yaml"), TOPOLOGY_YAML);
  await writeFile(join(files, "intents.yaml"), INTENTS_V1);
  const ac = new AbortController();
  let handle: ControllerHandle | undefined;
  const run = runController({ topology: join(files, "topology.yaml"), intents: join(files, "intents.yaml"), listen: ["[::1]:0"], signal: ac.signal, onReady: (c) => (handle = c), ...o });
  t.after(async () => {
    ac.abort();
    await run.catch(() => {});
  });
  await Promise.race([waitUntil(() => handle !== undefined, 10_000, "the controller"), run.then(() => Promise.reject(new Error("the controller stopped")))]);
  return handle!;
}
