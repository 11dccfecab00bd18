// A worker process of the fleet simulator: runs its share of the simulated agents and talks to the
// orchestrator over the IPC channel (messages in protocol.ts). Exits when the channel closes, so an
// orchestrator that dies takes its workers with it.
import { readFileSync } from "node:fs";
import { SimAgent, type Network, type UpdateRecord } from "./sim-agent.js";
import type { ToWorker, FromWorker } from "./protocol.js";
import { surviveLateKeepaliveErrors } from "../api/keepalive-guard.js";

const send = (m: FromWorker) => process.send?.(m);

// A connection lost to connect-node's late keepalive errors (keepalive-guard.ts) is one agent's
// error (its link reconnects), not the end of every agent of this process.
surviveLateKeepaliveErrors((line) => {
  errors++;
  if (errorSamples.length < 5) errorSamples.push(`a connection: ${line}`);
  later();
});

let network: Network = { links: new Set(), routers: new Set() };
const agents: SimAgent[] = [];
let records: UpdateRecord[] = [];
let errors = 0;
let received = 0;
const errorSamples: string[] = [];
let flushTimer: NodeJS.Timeout | null = null;

function flush(): void {
  flushTimer = null;
  if (records.length === 0 && errors === 0 && received === 0) return;
  send({ type: "updates", records, received, errors, errorSamples: errorSamples.splice(0) });
  records = [];
  errors = 0;
  received = 0;
}

function later(): void {
  flushTimer ??= setTimeout(flush, 50);
}

function start(m: Extract<ToWorker, { type: "start" }>): void {
  let next = 0;
  let waiting = 0;
  const synced = new Set<string>();
  const launch = () => {
    while (next < m.hosts.length && waiting < m.connectConcurrency) {
      const i = next;
      const host = m.hosts[next++]!;
      waiting++;
      const urls = m.urls ? [...m.urls.slice(i % m.urls.length), ...m.urls.slice(0, i % m.urls.length)] : undefined;
      agents.push(
        new SimAgent({
          url: urls?.[0] ?? m.url,
          ...(urls ? { urls } : {}),
          host,
          credentials: { ca: m.caPem, cert: readFileSync(`${m.agentDir}/${host}.crt`, "utf8"), key: readFileSync(`${m.agentDir}/${host}.key`, "utf8") },
          network: () => network,
          probeVerdictMs: m.probeVerdictMs,
          keepaliveTimeoutMs: m.keepaliveTimeoutMs,
          reportsAs: m.reportsAs,
          onUpdate: (r) => {
            records.push(r);
            later();
            if (!synced.has(host)) {
              synced.add(host);
              waiting--;
              launch();
            }
          },
          onReceived: () => {
            received++;
            later();
          },
          onError: (_h, message) => {
            errors++;
            if (errorSamples.length < 5) errorSamples.push(`${_h}: ${message}`);
            later();
          },
        }),
      );
    }
  };
  launch();
}

function usage(): FromWorker {
  const links: Record<string, number> = {};
  const routers: Record<string, number> = {};
  for (const a of agents) {
    const l = new Set<string>();
    const r = new Set<string>();
    for (const p of a.paths()) {
      if (!p.uses.some((u) => u.role === "primary")) continue;
      for (const x of p.links) l.add(x);
      for (const x of p.routers) r.add(x);
    }
    for (const x of l) links[x] = (links[x] ?? 0) + 1;
    for (const x of r) routers[x] = (routers[x] ?? 0) + 1;
  }
  return { type: "usage", links, routers };
}

process.on("message", (m: ToWorker) => {
  switch (m.type) {
    case "start":
      start(m);
      break;
    case "network":
      network = { links: new Set(m.links), routers: new Set(m.routers) };
      for (const a of agents) a.networkChanged();
      break;
    case "usage":
      send(usage());
      break;
    case "stop":
      flush();
      void Promise.all(agents.map((a) => a.stop())).finally(() => process.exit(0));
      break;
  }
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
