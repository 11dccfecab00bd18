// `cairn controller --topology FILE --intents FILE [--listen HOST:PORT]...`
import { loadIntents, loadTopology } from "../config/load.js";
import type { ControllerHandle, ListenAddress } from "./server.js";
import { startController } from "./server.js";

export const DEFAULT_LISTEN = "[::1]:50051";

export interface ControllerCliOptions {
  topology: string;
  intents: string;
  /** "HOST:PORT" or "[V6]:PORT"; default [::1]:50051. */
  listen?: string[];
  /** Write applied intents back to the intents file. */
  persistIntents?: boolean;
  /** Liveliness: hold-down before a mark clears, and when reports stop counting as evidence (ms). */
  holdDown?: number;
  staleAfter?: number;
  /** Events kept in memory. */
  events?: number;
  /** The audit log file (appended to). */
  auditLog?: string;
  /** The agents' --max-rules, checked by every apply. */
  maxRules?: number;
  /** Stops the controller when aborted (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Called once listening (tests, lab). */
  onReady?: (c: ControllerHandle) => void;
}

/** "[::1]:50051", "127.0.0.1:50051", "localhost:50051", ":50051" (all addresses). */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new Error(`invalid listen address "${text}": expected HOST:PORT, e.g. [::1]:50051 or 0.0.0.0:50051`);
  }
  const host = m[1] ?? (m[2] || "::");
  return { host, port };
}

/** Loads the files, serves until SIGINT/SIGTERM (or opts.signal), then shuts down cleanly. */
export async function runController(opts: ControllerCliOptions): Promise<void> {
  const listen = (opts.listen && opts.listen.length > 0 ? opts.listen : [DEFAULT_LISTEN]).map(parseListenAddress);
  const topology = await loadTopology(opts.topology);
  const intents = await loadIntents(opts.intents, topology);
  const controller = await startController({
    topology,
    intents,
    intentsFile: opts.intents,
    listen,
    ...(opts.persistIntents ? { persistIntents: true } : {}),
    ...(opts.holdDown !== undefined ? { holdDownMs: opts.holdDown } : {}),
    ...(opts.staleAfter !== undefined ? { staleAfterMs: opts.staleAfter } : {}),
    ...(opts.events !== undefined ? { eventsCapacity: opts.events } : {}),
    ...(opts.auditLog !== undefined ? { auditLog: opts.auditLog } : {}),
    ...(opts.maxRules !== undefined ? { datapathLimits: { maxRules: opts.maxRules } } : {}),
  });
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
  await controller.close();
}
