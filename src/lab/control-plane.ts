// Starts the lab's controller (root namespace, on the management network) and one agent per host
// (in the host's namespace), then waits until every agent holds its paths.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Topology } from "../core/model.js";
import type { AgentStatus } from "../agent/agent.js";
import { getPaths } from "../api/client.js";
import { CONTROLLER_ADDRESS, CONTROLLER_PORT, CONTROLLER_ENDPOINT, LAB_CONTROLLER_URL, LAB_DNS_SERVER } from "./endpoint.js";
import { HOST_UPLINK } from "./naming.js";
import { LAB_DIR, LOG_DIR, nsName } from "./paths.js";
import { createLabPki, labAgentTlsArgs, labOperatorCredentials, LAB_ADMIN, LAB_OPERATOR_CONFIG, LAB_PKI_DIR } from "./pki.js";
import { tcpPortHolder } from "./port-check.js";
import { processAlive, spawnInNamespace } from "./procs.js";
import { readState, type LabProcess } from "./state.js";

export { LAB_CONTROLLER_URL };
const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));

/** Every intents change and refused apply, one JSON line each (the controller's --audit-log). */
export const LAB_AUDIT_LOG = join(LAB_DIR, "audit.log");

export function agentStatusFile(host: string): string {
  return join(LAB_DIR, "agents", `${host}.json`);
}

export function readAgentStatus(host: string): AgentStatus | null {
  try {
    return JSON.parse(readFileSync(agentStatusFile(host), "utf8")) as AgentStatus;
  } catch {
    return null;
  }
}

function logTail(file: string, lines = 5): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | null> | T | null): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError = "";
  for (;;) {
    try {
      const v = await check();
      if (v !== null) return v;
    } catch (e) {
      lastError = (e as Error).message;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? `: ${lastError}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function ensureRunning(p: LabProcess, name: string): void {
  if (p.pid === null || !processAlive(p.pid, p.startTime)) throw new Error(`${name} exited; last lines of ${p.logFile}:\n${logTail(p.logFile ?? "")}`);
}

export interface ControlPlaneOptions {
  topology: Topology;
  topologyPath: string;
  intentsPath: string;
  onProgress?: (msg: string) => void;
  timeoutMs?: number;
}

/** Starts controller and agents; resolves when every agent is synced, rejects with the reason otherwise. */
export async function startLabControlPlane(o: ControlPlaneOptions): Promise<void> {
  const progress = o.onProgress ?? (() => {});
  const timeoutMs = o.timeoutMs ?? 30_000;
  const holder = await tcpPortHolder(CONTROLLER_ADDRESS, CONTROLLER_PORT);
  if (holder !== null) {
    throw new Error(`cannot start the lab's controller: ${CONTROLLER_ENDPOINT} is ${holder}; stop it first (an older lab's controller goes with \`cairn lab down\`)`);
  }
  await createLabPki(o.topology.hosts.map((h) => h.name));
  progress(`credentials in ${LAB_PKI_DIR}: a CA, the controller's certificate, one per agent, and ${LAB_ADMIN}'s (admin) in ${LAB_OPERATOR_CONFIG}`);
  const credentials = await labOperatorCredentials();
  const controllerArgv = [process.execPath, CLI, "controller", "--topology", resolve(o.topologyPath), "--intents", resolve(o.intentsPath), "--listen", CONTROLLER_ENDPOINT];
  controllerArgv.push("--tls-dir", LAB_PKI_DIR, "--audit-log", LAB_AUDIT_LOG, "--lab");
  const controller = spawnInNamespace(null, controllerArgv, {
    role: "controller",
    logFile: join(LOG_DIR, "controller.log"),
  });
  progress(`controller started (pid ${controller.pid}), listening on ${LAB_CONTROLLER_URL}`);
  await poll("the controller to answer", timeoutMs, async () => {
    ensureRunning(controller, "the controller");
    await getPaths(LAB_CONTROLLER_URL, { credentials });
    ensureRunning(controller, "the controller"); // the answer came from ours, not from whoever took the port
    return true;
  });

  const agents = o.topology.hosts.map((h) => {
    const p = startLabAgent(h.name);
    progress(`agent for ${h.name} started (pid ${p.pid})`);
    return { host: h.name, process: p };
  });
  for (const a of agents) {
    const st = await waitForLabAgent(a.host, a.process, timeoutMs);
    const installed = st.rules.filter((r) => r.state === "installed").length;
    const others = st.rules.filter((r) => r.state !== "installed").map((r) => `${r.key} ${r.state}${r.reason ? ` (${r.reason})` : ""}`);
    progress(`agent on ${a.host}: ${installed} rule(s) installed${others.length ? `; ${others.join(", ")}` : ""}`);
  }
}

/** The port every lab agent serves /metrics on, at its host's management address. */
export const LAB_AGENT_METRICS_PORT = 9464;

/** A host's management address (the root namespace reaches it over the management network), or null without a lab. */
function mgmtAddressOf(host: string): string | null {
  const link = readState()?.links.find((l) => l.kind === "mgmt" && l.a.node === host);
  return link?.a.address?.split("/")[0] ?? null;
}

/** Where the lab agent of `host` serves its metrics, reachable from the root namespace; null without a lab. */
export function labAgentMetricsUrl(host: string): string | null {
  const address = mgmtAddressOf(host);
  return address ? `http://[${address}]:${LAB_AGENT_METRICS_PORT}/metrics` : null;
}

/** Starts a host's agent in its namespace (also again, after it died or was killed), with `extraArgs` (e.g. --max-rules). */
export function startLabAgent(host: string, extraArgs: string[] = []): LabProcess {
  const mgmt = mgmtAddressOf(host);
  const metrics = mgmt ? ["--metrics-listen", `[${mgmt}]:${LAB_AGENT_METRICS_PORT}`] : [];
  const argv = [process.execPath, CLI, "agent", "--controller", LAB_CONTROLLER_URL, "--host", host, "--interface", HOST_UPLINK, "--status-file", agentStatusFile(host), "--dns-server", LAB_DNS_SERVER, ...labAgentTlsArgs(host), ...metrics, ...extraArgs];
  return spawnInNamespace(nsName(host), argv, { role: "agent", node: host, logFile: join(LOG_DIR, `agent-${host}.log`) });
}

/** Resolves with the agent's status once it is synced; rejects when it died or reports an error. */
export function waitForLabAgent(host: string, process: LabProcess, timeoutMs = 30_000, since = ""): Promise<AgentStatus> {
  return poll(`the agent on ${host} to install its paths`, timeoutMs, () => {
    ensureRunning(process, `the agent on ${host}`);
    const s = readAgentStatus(host);
    if (!s || s.pid !== process.pid || s.updatedAt <= since) return null;
    if (s.lastError && !s.connected) throw new Error(s.lastError);
    const errors = s.rules.filter((r) => r.state === "error");
    if (errors.length > 0) throw new Error(errors.map((r) => `${r.key}: ${r.reason}`).join("; "));
    return s.synced ? s : null;
  });
}
