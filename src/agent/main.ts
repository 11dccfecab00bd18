// `cairn agent --controller URL --host NAME --interface IF [options]`
import { runAgent } from "./agent.js";
import type { AgentHandle } from "./agent.js";
import type { DatapathLimits } from "../datapath/types.js";
import type { ProbeSettings } from "./prober.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CredentialFileError, loadCredentialFiles, type ClientCredentials } from "../api/credentials.js";
import { checkControllerUrl } from "../certs/names.js";
import { identityFromCertificate } from "../certs/trust.js";
import { CliError, EXIT_BAD_INPUT } from "../cli/errors.js";
import { findCgroup2Mount } from "../host/cgroup2.js";
import { parseListenAddress, type ListenAddress } from "../config/listen-address.js";
import { AgentMetrics } from "./metrics.js";
import { startMetricsServer, type MetricsServer } from "./metrics-server.js";

export interface AgentCommandOptions {
  /** A controller URL, or with replicas several, comma-separated (the CLI's repeated --controller joined): the agent uses the first and moves to the next when its own goes away. */
  controller: string;
  /** PEM files: the CA of the controller's certificate, this agent's certificate and key. */
  ca?: string;
  cert?: string;
  key?: string;
  host: string;
  interface: string;
  statusFile?: string;
  pinDir?: string;
  dnsServer?: string[];
  maxRules?: number;
  maxPaths?: number;
  maxPrefixes?: number;
  maxCgroups?: number;
  maxFragments?: number;
  routeMtu?: boolean;
  removeDatapath?: boolean;
  probes?: boolean;
  probePort?: number;
  probeIntervalMs?: number;
  probeMisses?: number;
  probeLoss?: number;
  holddownMs?: number;
  /** false: no passive signal (--no-tcp-signal). */
  tcpSignal?: boolean;
  /** The cgroup2 mount; default: found in /proc/self/mounts. */
  cgroupMount?: string;
  /** "HOST:PORT": serve GET /metrics (Prometheus) there over plain HTTP; default: no metrics. */
  metricsListen?: string;
}

export interface AgentCliOptions extends AgentCommandOptions {
  appCgroupRoot?: string;
  /** Stops the agent when aborted (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
  onReady?: (a: AgentHandle) => void;
  /** Called with the metrics URL once --metrics-listen listens (tests). */
  onMetrics?: (url: string) => void;
}

export const defaultPinDir = (host: string) => `/sys/fs/bpf/cairn/${host}`;

function probeSettings(o: AgentCommandOptions): Partial<ProbeSettings> {
  for (const [name, v, min] of [["--probe-interval-ms", o.probeIntervalMs, 1], ["--probe-misses", o.probeMisses, 1], ["--holddown-ms", o.holddownMs, 0], ["--probe-port", o.probePort, 1]] as const) {
    if (v !== undefined && (v < min || (name === "--probe-port" && v > 65535))) throw new Error(`${name} must be at least ${min}${name === "--probe-port" ? " and at most 65535" : ""}, got ${v}`);
  }
  return {
    ...(o.probeIntervalMs !== undefined ? { intervalMs: o.probeIntervalMs } : {}),
    ...(o.probeMisses !== undefined ? { misses: o.probeMisses } : {}),
    ...(o.probeLoss !== undefined ? { lossThreshold: o.probeLoss } : {}),
    ...(o.holddownMs !== undefined ? { holddownMs: o.holddownMs } : {}),
  };
}

/**
 * The cgroup2 mount the agent identifies apps by. Without one it must not start: it would take every
 * installed rule for an app or cgroup for gone and remove it. `ip netns exec` is the usual cause.
 */
export function agentCgroupMount(given: string | undefined, mountsText?: string): string {
  if (given !== undefined) {
    if (!existsSync(join(given, "cgroup.procs"))) throw new CliError(`--cgroup-mount ${given}: not a cgroup v2 mount (no cgroup.procs there)`, EXIT_BAD_INPUT);
    return given;
  }
  const found = findCgroup2Mount(mountsText);
  if (found) return found;
  throw new CliError(
    "cgroup v2 is not visible here (no cgroup2 file system in /proc/self/mounts), so the agent cannot tell apps apart; " +
      "it stopped before touching the datapath, whose rules stay installed. `ip netns exec` hides the cgroup mounts by remounting /sys: " +
      "start the agent with `nsenter --net=/run/netns/NAME` (or `cairn lab exec HOST --`) instead, or pass --cgroup-mount DIR",
    EXIT_BAD_INPUT,
  );
}

/**
 * The agent's credentials from --ca, --cert, --key: an https controller needs a certificate whose
 * CN is this host (the controller lets an agent act for its own host only); http takes none.
 */
/** The controller URLs of --controller (repeatable, or comma-separated), checked: all https:// or all http://, no duplicates. */
export function controllerUrls(given: string): { urls: string[]; https: boolean } {
  const parts = given.split(",").map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0) throw new CliError("--controller: no URL given", EXIT_BAD_INPUT);
  const urls: string[] = [];
  let https: boolean | null = null;
  for (const p of parts) {
    const u = checkControllerUrl(p);
    if ("error" in u) throw new CliError(`--controller${parts.length > 1 ? ` ${p}` : ""}: ${u.error}`, EXIT_BAD_INPUT);
    if (https !== null && https !== u.https) throw new CliError("--controller: all URLs https:// or all http://, not both", EXIT_BAD_INPUT);
    https = u.https;
    if (urls.includes(u.url)) throw new CliError(`--controller ${p}: given twice`, EXIT_BAD_INPUT);
    urls.push(u.url);
  }
  return { urls, https: https! };
}

export async function agentCredentials(o: Pick<AgentCommandOptions, "controller" | "host" | "ca" | "cert" | "key">): Promise<ClientCredentials | undefined> {
  const { urls, https } = controllerUrls(o.controller);
  const u = { url: urls.join(", "), https };
  const given = (["ca", "cert", "key"] as const).filter((k) => o[k] !== undefined);
  if (!u.https) {
    if (given.length > 0) throw new CliError(`--${given.join(", --")} need an https:// controller URL, got ${u.url}`, EXIT_BAD_INPUT);
    return undefined;
  }
  if (o.cert === undefined || o.key === undefined) {
    throw new CliError(`an https:// controller needs this agent's certificate: --cert FILE --key FILE (\`cairn certs issue DIR --agent ${o.host}\` makes them), and --ca FILE for the controller's CA`, EXIT_BAD_INPUT);
  }
  let loaded;
  try {
    loaded = await loadCredentialFiles({ ...(o.ca !== undefined ? { ca: o.ca } : {}), cert: o.cert, key: o.key });
  } catch (e) {
    if (e instanceof CredentialFileError) throw new CliError(`--${e.which}: ${e.message}`, EXIT_BAD_INPUT);
    throw e;
  }
  for (const w of loaded.warnings) process.stderr.write(`${new Date().toISOString()} agent: warning: ${w}\n`);
  const id = identityFromCertificate(loaded.certificate);
  if (!id || id.role !== "agent") throw new CliError(`--cert ${o.cert} is not an agent certificate (CN=HOST, OU=agent): \`cairn certs issue DIR --agent ${o.host}\` makes one`, EXIT_BAD_INPUT);
  if (id.name !== o.host) throw new CliError(`--cert ${o.cert} is host ${id.name}'s, not ${o.host}'s: the controller would refuse it`, EXIT_BAD_INPUT);
  return loaded.credentials;
}

/** --metrics-listen's address, or a clear error. */
export function metricsListenAddress(text: string): ListenAddress {
  try {
    return parseListenAddress(text);
  } catch (e) {
    throw new CliError(`--metrics-listen: ${(e as Error).message.replace(/e\.g\. .*$/, "e.g. [::1]:9464 or 127.0.0.1:9464")}`, EXIT_BAD_INPUT);
  }
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: "the port is in use",
  EADDRNOTAVAIL: "the address is not one of this host's",
  EACCES: "permission denied",
  ENOTFOUND: "no such host name",
};

/** Serves `metrics` on --metrics-listen; an address it cannot listen on is a clear error naming the option. */
export async function serveAgentMetrics(text: string, metrics: AgentMetrics): Promise<MetricsServer> {
  const addr = metricsListenAddress(text);
  try {
    return await startMetricsServer(addr, metrics.registry);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    throw new CliError(`--metrics-listen ${text}: cannot listen there: ${LISTEN_ERRORS[code] ?? (e as Error).message}${code ? ` (${code})` : ""}`, EXIT_BAD_INPUT);
  }
}

/**
 * Runs the agent until SIGINT/SIGTERM (or opts.signal), then stops it, leaving the datapath's
 * rules installed. Rejects if the agent fails fatally (e.g. the datapath cannot be opened).
 * With removeDatapath, only detaches the program and removes the pins.
 */
export async function runAgentCli(opts: AgentCliOptions): Promise<void> {
  const pinDir = opts.pinDir ?? defaultPinDir(opts.host);
  if (opts.removeDatapath) {
    const { removeDatapath } = await import("../datapath/datapath.js");
    const { syncRoutes } = await import("./route-mtu.js");
    removeDatapath({ interface: opts.interface, pinDir });
    const problems = syncRoutes(opts.interface, []);
    process.stderr.write(`removed the datapath from ${opts.interface}, its pins in ${pinDir} and its MTU routes${problems.length ? ` (except: ${problems.join("; ")})` : ""}\n`);
    return;
  }
  const credentials = await agentCredentials(opts);
  const limits: Partial<DatapathLimits> = {
    ...(opts.maxRules !== undefined ? { maxRules: opts.maxRules } : {}),
    ...(opts.maxPaths !== undefined ? { maxPaths: opts.maxPaths } : {}),
    ...(opts.maxPrefixes !== undefined ? { maxPrefixes: opts.maxPrefixes } : {}),
    ...(opts.maxCgroups !== undefined ? { maxCgroups: opts.maxCgroups } : {}),
    ...(opts.maxFragments !== undefined ? { maxFragments: opts.maxFragments } : {}),
  };
  const cgroupMount = agentCgroupMount(opts.cgroupMount);
  const { urls } = controllerUrls(opts.controller);
  const probes = opts.probes === false ? (false as const) : { ...(opts.probePort !== undefined ? { port: opts.probePort } : {}), settings: probeSettings(opts) };
  let agent: AgentHandle | null = null;
  const metrics = opts.metricsListen !== undefined ? new AgentMetrics(() => agent?.status() ?? null) : null;
  // Listening before the agent starts: an address it cannot take stops it before the datapath is touched.
  const metricsServer = metrics ? await serveAgentMetrics(opts.metricsListen!, metrics) : null;
  if (metricsServer) {
    process.stderr.write(`${new Date().toISOString()} agent: metrics on ${metricsServer.url}\n`);
    opts.onMetrics?.(metricsServer.url);
  }
  agent = runAgent({
    ...(metrics ? { observer: metrics } : {}),
    controllerUrl: urls[0]!,
    ...(urls.length > 1 ? { controllerUrls: urls } : {}),
    cgroupMount,
    ...(credentials ? { credentials } : {}),
    host: opts.host,
    interface: opts.interface,
    pinDir,
    datapathLimits: limits,
    ...(opts.statusFile !== undefined ? { statusFile: opts.statusFile } : {}),
    ...(opts.appCgroupRoot !== undefined ? { appCgroupRoot: opts.appCgroupRoot } : {}),
    ...(opts.dnsServer?.length ? { dnsServers: opts.dnsServer } : {}),
    ...(opts.routeMtu === false ? { routeMtu: false } : {}),
    ...(opts.tcpSignal === false ? { tcpSignal: false as const } : {}),
    probes,
  });
  opts.onReady?.(agent);
  let onInt = () => {};
  let onTerm = () => {};
  let onAbort = () => {};
  const stopRequested = new Promise<string>((resolve) => {
    onInt = () => resolve("SIGINT");
    onTerm = () => resolve("SIGTERM");
    onAbort = () => resolve("stop requested");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([stopRequested, agent.done.then(() => null)]);
    if (outcome !== null) process.stderr.write(`${new Date().toISOString()} agent: ${outcome}, shutting down\n`);
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    opts.signal?.removeEventListener("abort", onAbort);
    await agent.stop();
    await metricsServer?.close();
  }
}
