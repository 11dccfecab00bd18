// `cairn controller --topology FILE --intents FILE (--tls-dir DIR | --insecure) [--listen HOST:PORT]...
// [--cleartext-listen HOST:PORT]...`
import { loadIntents, loadTopology } from "../config/load.js";
import { CredentialDirectory } from "../certs/authenticator.js";
import { CredentialError } from "../certs/fs-util.js";
import { CliError, EXIT_BAD_INPUT } from "../cli/errors.js";
import type { ControllerHandle, ControllerSecurity, ListenAddress } from "./server.js";
import { DEFAULT_KEEPALIVE, defaultLog, isLoopback, startController } from "./server.js";
import { localLabFaults } from "./lab-faults.js";
import { pickLimits, type ControllerLimits } from "./request-limits.js";
import { etcdStoreFromFlags } from "./replicas/etcd-flags.js";
import { formatListenAddress, parseListenAddress } from "../config/listen-address.js";

export const DEFAULT_LISTEN = "[::1]:50051";

/** Request limits (request-limits.ts) are options of their own, e.g. --max-request-bytes as maxRequestBytes. */
export interface ControllerCliOptions extends Partial<ControllerLimits> {
  topology: string;
  intents: string;
  /** "HOST:PORT" or "[V6]:PORT"; default [::1]:50051. */
  listen?: string[];
  /**
   * A credential directory (`cairn certs init`): server.crt, server.key, ca.crt (the client CA),
   * tokens.yaml, revoked.yaml. Serves TLS and authenticates every caller; the files are watched.
   */
  tlsDir?: string;
  /** No TLS and no authentication: cleartext, loopback only. One of tlsDir and insecure is required. */
  insecure?: boolean;
  /** With tlsDir: cleartext HTTP/2 listeners besides, loopback only (callers still authenticate, with tokens). */
  cleartextListen?: string[];
  /** Write applied intents back to the intents file. */
  persistIntents?: boolean;
  /** Liveliness: hold-down before a mark clears, and when reports stop counting as evidence (ms). */
  holdDown?: number;
  staleAfter?: number;
  /** How long a keepalive PING may go unanswered before the connection is dropped (ms). */
  keepaliveTimeout?: number;
  /** Events kept in memory. */
  events?: number;
  /** The audit log file (appended to). */
  auditLog?: string;
  /** The agents' --max-rules, checked by every apply. */
  maxRules?: number;
  /** --request-body-timeout, in ms. */
  requestBodyTimeout?: number;
  /** Worker threads computing an apply's paths (0: on the event loop). */
  pathWorkers?: number;
  /** etcd client URLs (repeatable, or comma lists): run as one of several replicas sharing state there. */
  etcd?: string[];
  /** PEM files for etcd's TLS: its server CA, and this replica's client certificate and key. */
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  /** TTL (s) of the leader's lease and the reports': how long a dead replica holds them (default 3). */
  etcdLeaseTtl?: number;
  /** A lab's controller: serve the lab's faults (ListLabFaults, InjectLabFault, HealLabFault) from this machine's lab. */
  lab?: boolean;
  /** Stops the controller when aborted (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Called once listening (tests, lab). */
  onReady?: (c: ControllerHandle) => void;
}

const bad = (message: string) => new CliError(message, EXIT_BAD_INPUT);

/** Checks the flags that choose how callers are trusted, before anything is read. */
function checkSecurityFlags(opts: ControllerCliOptions, listen: ListenAddress[], cleartext: ListenAddress[]): void {
  if (opts.tlsDir !== undefined && opts.insecure) throw bad("--tls-dir and --insecure exclude each other: pass one");
  if (opts.tlsDir === undefined && !opts.insecure) {
    throw bad(
      "the controller needs to know whom to trust: pass --tls-dir DIR (TLS, client certificates and tokens; `cairn certs init DIR` creates one) " +
        "or --insecure (no authentication at all, cleartext, loopback only)",
    );
  }
  if (opts.insecure) {
    if (cleartext.length > 0) throw bad("--cleartext-listen goes with --tls-dir; with --insecure every --listen address is cleartext already");
    const outside = listen.filter((a) => !isLoopback(a.host));
    if (outside.length > 0) {
      throw bad(`--insecure serves without authentication, so only on loopback (::1, 127.0.0.1); ${outside.map(formatListenAddress).join(", ")} is not: use --tls-dir DIR to listen there`);
    }
  }
  const outside = cleartext.filter((a) => !isLoopback(a.host));
  if (outside.length > 0) throw bad(`--cleartext-listen ${outside.map(formatListenAddress).join(", ")}: a cleartext listener may only be on loopback (::1, 127.0.0.1)`);
}

/** The credential directory, with errors that say what, where and why (exit 2). */
async function openTlsDir(dir: string): Promise<CredentialDirectory> {
  try {
    return await CredentialDirectory.open(dir);
  } catch (e) {
    if (e instanceof CredentialError) throw bad(`--tls-dir ${dir}: ${e.message}`);
    throw e;
  }
}

function parseAddresses(flag: string, texts: string[]): ListenAddress[] {
  return texts.map((t) => {
    try {
      return parseListenAddress(t);
    } catch (e) {
      throw bad(`${flag}: ${(e as Error).message}`);
    }
  });
}

/** Loads the files, serves until SIGINT/SIGTERM (or opts.signal), then shuts down cleanly. */
export async function runController(opts: ControllerCliOptions): Promise<void> {
  const listen = parseAddresses("--listen", opts.listen && opts.listen.length > 0 ? opts.listen : [DEFAULT_LISTEN]);
  const cleartext = parseAddresses("--cleartext-listen", opts.cleartextListen ?? []);
  checkSecurityFlags(opts, listen, cleartext);
  const credentials = opts.tlsDir !== undefined ? await openTlsDir(opts.tlsDir) : null;
  const security: ControllerSecurity | null = credentials ? { tls: credentials.tls, authenticator: credentials } : null;
  const topology = await loadTopology(opts.topology);
  const intents = await loadIntents(opts.intents, topology);
  const store = await etcdStoreFromFlags(opts, defaultLog);
  const controller = await startController({
    ...(store ? { store } : {}),
    topology,
    intents,
    intentsFile: opts.intents,
    listen,
    ...(security ? { security, cleartextListen: cleartext } : {}),
    ...(opts.persistIntents ? { persistIntents: true } : {}),
    ...(opts.holdDown !== undefined ? { holdDownMs: opts.holdDown } : {}),
    ...(opts.staleAfter !== undefined ? { staleAfterMs: opts.staleAfter } : {}),
    ...(opts.keepaliveTimeout !== undefined ? { keepalive: { ...DEFAULT_KEEPALIVE, timeoutMs: opts.keepaliveTimeout } } : {}),
    ...(opts.events !== undefined ? { eventsCapacity: opts.events } : {}),
    ...(opts.auditLog !== undefined ? { auditLog: opts.auditLog } : {}),
    ...(opts.maxRules !== undefined ? { datapathLimits: { maxRules: opts.maxRules } } : {}),
    ...(opts.pathWorkers !== undefined ? { pathWorkers: opts.pathWorkers } : {}),
    limits: pickLimits(opts),
    ...(opts.lab ? { labFaults: await localLabFaults() } : {}),
  });
  const watcher = credentials?.watch((m) => controller.reloadTls(m), defaultLog);
  if (!credentials) defaultLog("--insecure: no authentication, every caller on loopback may do anything");
  for (const url of controller.urls) process.stdout.write(`listening on ${url}\n`);
  opts.onReady?.(controller);

  await new Promise<void>((resolve) => {
    const stop = (why: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      opts.signal?.removeEventListener("abort", onAbort);
      process.stderr.write(`${new Date().toISOString()} controller: ${why}, shutting down\n`);
      resolve();
    };
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    const onAbort = () => stop("stop requested");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
  });
  watcher?.close();
  await controller.close();
}
