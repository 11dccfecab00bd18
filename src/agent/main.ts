// `cairn agent --controller URL --host NAME --interface IF [--status-file F]`
import { runAgent } from "./agent.js";
import type { AgentHandle } from "./agent.js";

export interface AgentCliOptions {
  controller: string;
  host: string;
  interface: string;
  statusFile?: string;
  pinDir?: string;
  appCgroupRoot?: string;
  /** Stops the agent when aborted (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
  onReady?: (a: AgentHandle) => void;
}

/**
 * Runs the agent until SIGINT/SIGTERM (or opts.signal), then stops it, leaving
 * the datapath's rules installed. Rejects if the agent fails fatally (e.g. the
 * datapath cannot be opened).
 */
export async function runAgentCli(opts: AgentCliOptions): Promise<void> {
  const agent = runAgent({
    controllerUrl: opts.controller,
    host: opts.host,
    interface: opts.interface,
    ...(opts.statusFile !== undefined ? { statusFile: opts.statusFile } : {}),
    ...(opts.pinDir !== undefined ? { pinDir: opts.pinDir } : {}),
    ...(opts.appCgroupRoot !== undefined ? { appCgroupRoot: opts.appCgroupRoot } : {}),
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
  }
}
