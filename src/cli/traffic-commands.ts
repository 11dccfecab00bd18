// `cairn lab traffic` and `cairn lab sink`: the sender and the sink of src/demo/traffic.ts, stopped
// early (and still reporting) by SIGINT or SIGTERM.
import { checkSendOptions, runSink, sendUdp, type SendOptions, type SinkUntil } from "../demo/traffic.js";
import { formatSinkSummary } from "../demo/sink-report.js";
import { CliError, EXIT_BAD_INPUT } from "./errors.js";

/** An AbortSignal fired by SIGINT or SIGTERM, so that the command ends with its report. */
function stopSignal(): AbortSignal {
  const ac = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => ac.abort());
  return ac.signal;
}

export async function trafficCommand(o: Omit<SendOptions, "signal"> & { json?: boolean }): Promise<void> {
  const { json, ...send } = o;
  try {
    checkSendOptions(send);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT_BAD_INPUT);
  }
  const r = await sendUdp({ ...send, signal: stopSignal() });
  if (json) console.log(JSON.stringify(r, null, 2));
  else console.log(`sent ${r.sent} datagrams to ${r.to.includes(":") ? `[${r.to}]` : r.to}:${r.port} (stream ${r.streamId}${r.stoppedEarly ? `, stopped early: the last one tells the sink` : ""})`);
}

export async function sinkCommand(o: { port: number; durationMs?: number; graceMs: number; idleMs?: number; timeoutMs: number; json?: boolean }): Promise<void> {
  if (o.durationMs !== undefined && o.idleMs !== undefined) throw new CliError("give --duration-ms or --idle-ms, not both", EXIT_BAD_INPUT);
  const until: SinkUntil =
    o.durationMs !== undefined ? { kind: "duration", durationMs: o.durationMs }
    : o.idleMs !== undefined ? { kind: "idle", idleMs: o.idleMs }
    : { kind: "last-datagram", graceMs: o.graceMs };
  const listening = `listening on port ${o.port}`;
  const r = await runSink({
    port: o.port,
    until,
    timeoutMs: until.kind === "duration" ? Math.max(o.timeoutMs, until.durationMs) : o.timeoutMs,
    signal: stopSignal(),
    onListening: () => (o.json ? console.error(listening) : console.log(listening)),
  });
  console.log(o.json ? JSON.stringify(r, null, 2) : formatSinkSummary(r));
}
