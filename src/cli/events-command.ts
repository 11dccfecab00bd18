// `cairn events [--json] [--follow] [--limit N]`: the controller's recent events, and with --follow
// every new one as it happens, until interrupted.
import { createOperatorClient } from "../api/client.js";
import { formatEvent } from "./format-events.js";
import { controllerTarget } from "./target.js";

export interface EventsOptions {
  /** The global --config and the command's --controller. */
  config?: string;
  controller?: string;
  json?: boolean;
  follow?: boolean;
  /** The newest this many held events first (0: all). */
  limit: number;
}

export async function eventsCommand(o: EventsOptions): Promise<number> {
  const target = await controllerTarget(o);
  const client = createOperatorClient(target.url, { credentials: target.credentials });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const held = await client.listEvents(0, o.limit);
    if (!o.follow) {
      out(o.json ? JSON.stringify(held, null, 2) : held.events.length > 0 ? held.events.map(formatEvent).join("\n") : "no events yet");
      return 0;
    }
    // Following: one line per event (JSON Lines with --json), the held ones first.
    const show = (e: (typeof held.events)[number]) => out(o.json ? JSON.stringify(e) : formatEvent(e));
    held.events.forEach(show);
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    try {
      for await (const e of client.watchEvents(held.lastSeq, ac.signal)) show(e);
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
    return 0;
  } finally {
    client.close();
  }
}
