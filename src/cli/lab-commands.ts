// `cairn lab up|down|status|exec|dns|container`.
import { loadIntents, loadTopology } from "../config/load.js";
import { startLabControlPlane, readAgentStatus, LAB_CONTROLLER_URL } from "../lab/control-plane.js";
import type { AgentRuleStatus } from "../agent/agent.js";
import { labDown, labExec, labExists, labStatus, labUp, type LabStatusLink } from "../lab/index.js";
import { describeFault } from "../lab/fault-model.js";
import type { LabStatusFault } from "../lab/status.js";
import { listDnsRecords, removeDnsRecords, setDnsRecords } from "../lab/dns.js";
import { addContainer } from "../lab/containers.js";
import { dnsRecord, normaliseDnsName } from "../lab/dns-records.js";
import { LAB_DNS_SERVER } from "../lab/endpoint.js";
import { cgroupPathComponents } from "../lab/cgroup-path.js";
import { resolveUser } from "../lab/users.js";
import { CliError } from "./errors.js";
import { faultTable } from "./fault-commands.js";
import { renderTable } from "./table.js";

const progress = (msg: string) => console.error(`  ${msg}`);

export async function labUpCommand(topologyPath: string, opts: { intents?: string }): Promise<void> {
  // Validate both files before building anything: nothing is half-applied on bad input.
  const topology = await loadTopology(topologyPath);
  if (opts.intents) await loadIntents(opts.intents, topology);
  if (labExists()) throw new CliError("a lab is already up; run `cairn lab down` first");
  const started = Date.now();
  console.error(`building the lab from ${topologyPath}`);
  await labUp(topology, { onProgress: progress });
  try {
    if (opts.intents) await startLabControlPlane({ topology, topologyPath, intentsPath: opts.intents, onProgress: progress });
  } catch (e) {
    throw new CliError(`the lab is up but its control plane is not: ${(e as Error).message}\n(inspect with \`cairn lab status\`, logs in /run/cairn/lab/logs; remove with \`cairn lab down\`)`);
  }
  console.error(`lab up in ${((Date.now() - started) / 1000).toFixed(1)}s; \`cairn lab status\` shows it, \`cairn lab down\` removes it`);
}

export async function labDownCommand(): Promise<void> {
  const r = await labDown({ onProgress: progress });
  console.error(r.removed.length ? `removed ${r.removed.length} lab resource(s)` : "no lab was up; nothing to remove");
}

export async function labStatusCommand(opts: { json?: boolean }): Promise<void> {
  const s = labStatus();
  if (!s) {
    if (opts.json) console.log("null");
    else console.log("no lab is up (start one with `cairn lab up TOPOLOGY [--intents FILE]`)");
    return;
  }
  const hosts = s.nodes.filter((n) => n.kind === "host").map((n) => n.name);
  const agents = Object.fromEntries(hosts.map((h) => [h, readAgentStatus(h)]));
  if (opts.json) {
    console.log(JSON.stringify({ ...s, controllerUrl: LAB_CONTROLLER_URL, agents }, null, 2));
    return;
  }
  console.log(`lab ${s.phase}, created ${s.createdAt}${s.convergedAfterMs ? `, IGP converged in ${(s.convergedAfterMs / 1000).toFixed(1)}s` : ""}\n`);
  console.log(renderTable(["NODE", "KIND", "NAMESPACE", "ADDRESS/LOCATOR", "IPV4", "END SID / GATEWAY"], s.nodes.map((n) => [
    n.name, n.kind, `${n.namespace}${n.exists ? "" : " (missing)"}`, n.locator ?? n.address ?? "", n.address4 ?? "-", n.endSid ?? n.router ?? "",
  ])));
  console.log();
  console.log(renderTable(["LINK", "KIND", "A", "B", "MTU", "STATE"], s.links.filter((l) => l.kind !== "mgmt").map((l) => [
    l.id, l.kind, `${l.a.node}/${l.a.ifname}`, `${l.b.node}/${l.b.ifname}`, linkMtu(l), linkState(l, s.faults),
  ])));
  console.log();
  if (s.containers.length) {
    console.log(renderTable(["CONTAINER", "HOST", "NAMESPACE", "ADDRESSES"], s.containers.map((c) => [
      c.name, `${c.host}/${c.hostInterface}`, `${c.namespace}${c.exists ? "" : " (missing)"}`, [c.address, c.address4].filter(Boolean).join(", "),
    ])));
    console.log();
  }
  console.log(`DNS server ${s.dns.server}: ${s.dns.running ? "running" : "NOT RUNNING"}, TTL ${s.dns.ttlS} s, ${s.dns.records.length} name(s)`);
  if (s.dns.records.length) console.log(renderTable(["NAME", "ADDRESSES"], s.dns.records.map((r) => [r.name, r.addresses.join(" ")])));
  console.log();
  if (s.faults.length) {
    console.log(faultTable(s.faults));
    console.log();
  }
  console.log(renderTable(["PROCESS", "NODE", "PID", "STATE"], s.processes.map((p) => [
    p.role, p.node ?? "-", String(p.pid ?? "?"), p.alive ? (p.unrecorded ? "running (started by hand)" : "running") : p.stoppedByFault ? `stopped (${p.node} down)` : "DEAD",
  ])));
  const rows = hosts.flatMap((h) => (agents[h]?.rules ?? []).map((r) => [
    h, r.intent, matchSummary(r), r.state, r.nodes.join(">") || "-", r.segments.join(",") || "-", String(r.packets), notSteered(r),
  ]));
  console.log();
  if (rows.length) console.log(renderTable(["HOST", "INTENT", "MATCH", "STATE", "PATH", "SEGMENTS", "STEERED", "MATCHED, NOT STEERED"], rows));
  else console.log("no agents running (start the lab with --intents to run the controller and agents)");
}

/** up or DOWN, and why when a fault is the reason. */
function linkState(l: LabStatusLink, faults: LabStatusFault[]): string {
  const f = faults.find((x) => x.target === "link" && x.name === l.id) ?? faults.find((x) => x.target === "node" && (x.name === l.a.node || x.name === l.b.node));
  const state = l.up ? "up" : "DOWN";
  return f ? `${state} (fault: ${describeFault(f)})` : state;
}

/** Who a rule matches, briefly: app, cgroup, user, source, then the destination when it is a DNS name. */
function matchSummary(r: AgentRuleStatus): string {
  const parts = [r.app ? `app ${r.app}` : null, r.cgroup ? `cgroup ${r.cgroup}` : null, r.user ? `user ${r.user}` : null, r.source ? `from ${r.source}` : null, r.dns ? `to ${r.dns}` : null];
  return parts.filter(Boolean).join(", ") || "*";
}

/** "matched but not steered" packets: sent unsteered (onFailure open) or dropped (closed). */
function notSteered(r: AgentRuleStatus): string {
  if (r.unsteeredPackets === 0 && r.droppedPackets === 0) return `0 (onFailure ${r.onFailure})`;
  return [r.unsteeredPackets ? `${r.unsteeredPackets} sent unsteered` : null, r.droppedPackets ? `${r.droppedPackets} dropped` : null].filter(Boolean).join(", ");
}

/** The link's MTU as the kernel has it on both ends; both values when they differ from each other or from the lab's. */
function linkMtu(l: LabStatusLink): string {
  const live = [...new Set([l.a.mtu, l.b.mtu].filter((m): m is number => m !== undefined))];
  if (live.length === 1 && (l.mtu === undefined || live[0] === l.mtu)) return String(live[0]);
  if (live.length === 0) return l.mtu !== undefined ? `${l.mtu} (not live)` : "-";
  return `${l.a.mtu ?? "?"}/${l.b.mtu ?? "?"}${l.mtu !== undefined ? ` (lab: ${l.mtu})` : ""}`;
}

export async function labExecCommand(node: string, args: string[], opts: { app?: string; cgroup?: string; user?: string }): Promise<number> {
  const command = args[0] === "--" ? args.slice(1) : args;
  if (command.length === 0) throw new CliError("nothing to run: cairn lab exec NODE [--app NAME | --cgroup PATH] [--user NAME|UID] -- COMMAND...", 2);
  if (opts.cgroup !== undefined) validated(() => cgroupPathComponents(opts.cgroup!));
  if (opts.user !== undefined) validated(() => resolveUser(opts.user!));
  const target = { command, ...(opts.app ? { app: opts.app } : {}), ...(opts.cgroup ? { cgroup: opts.cgroup } : {}), ...(opts.user ? { user: opts.user } : {}) };
  return asCliError(() => labExec(node, target));
}

/** Runs `check` on the user's input: its error is bad input (exit 2), not a failure. */
function validated<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
}

async function asCliError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

export async function labDnsSetCommand(name: string, addresses: string[], opts: { json?: boolean }): Promise<void> {
  const record = validated(() => dnsRecord(name, addresses));
  await asCliError(() => setDnsRecords(record.name, record.addresses));
  if (opts.json) console.log(JSON.stringify(record, null, 2));
  else console.error(`${record.name} -> ${record.addresses.join(", ")} (served by ${LAB_DNS_SERVER})`);
}

export async function labDnsRmCommand(name: string, opts: { json?: boolean }): Promise<void> {
  const n = validated(() => normaliseDnsName(name));
  await asCliError(() => removeDnsRecords(n));
  if (opts.json) console.log(JSON.stringify({ removed: n }));
  else console.error(`removed ${n}`);
}

export function labDnsListCommand(opts: { json?: boolean }): void {
  const records = listDnsRecords();
  if (opts.json) console.log(JSON.stringify(records, null, 2));
  else if (records.length === 0) console.log(`no DNS records (add one with \`cairn lab dns set NAME ADDRESS...\`; server ${LAB_DNS_SERVER})`);
  else console.log(renderTable(["NAME", "ADDRESSES"], records.map((r) => [r.name, r.addresses.join(" ")])));
}

export async function labContainerAddCommand(host: string, name: string, opts: { json?: boolean }): Promise<void> {
  const c = await asCliError(() => addContainer(host, name));
  if (opts.json) console.log(JSON.stringify(c, null, 2));
  else console.error(`container ${c.name} behind ${c.host}: ${[c.address, c.address4].filter(Boolean).join(", ")}; run in it with \`cairn lab exec ${c.name} -- COMMAND\``);
}
