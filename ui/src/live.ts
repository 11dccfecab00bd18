// Live updates without polling: WatchEvents from the last event shown; each event goes to the
// timeline, and the views re-read ListLinks and ListPaths once per burst of events. When the stream
// breaks, it is opened again (after 1 s, then up to 10 s) from the last event seen, and everything
// is re-read.
import type { EventView } from "../../src/api/types.js";
import type { Api } from "./api.js";

/** Events that arrive together (a localisation, its recompute, pushes, acks) cause one refresh. */
const BURST_MS = 50;
const RETRY_MS = [1000, 2000, 5000, 10_000];

export interface LiveHandlers {
  events(events: EventView[]): void;
  /** Re-read what events change (links, paths, intents). */
  refresh(): Promise<void>;
  connection(state: "live" | "reconnecting", detail?: string): void;
}

export function followEvents(api: Api, afterSeq: number, h: LiveHandlers): () => void {
  const stop = new AbortController();
  let last = afterSeq;
  let timer: number | undefined;
  let refreshing: Promise<void> | null = null;
  let again = false;
  const refresh = () => {
    if (refreshing) return void (again = true);
    refreshing = h.refresh().finally(() => {
      refreshing = null;
      if (again) {
        again = false;
        refresh();
      }
    });
  };
  const burst: EventView[] = [];
  const take = (e: EventView) => {
    last = Math.max(last, e.seq);
    burst.push(e);
    if (timer !== undefined) return;
    timer = window.setTimeout(() => {
      timer = undefined;
      h.events(burst.splice(0));
      refresh();
    }, BURST_MS);
  };
  void (async () => {
    for (let attempt = 0; !stop.signal.aborted; attempt++) {
      try {
        h.connection("live");
        if (attempt > 0) refresh();
        for await (const e of api.watchEvents(last, stop.signal)) {
          attempt = 0;
          take(e);
        }
        if (stop.signal.aborted) return;
        h.connection("reconnecting", "the event stream ended");
      } catch (e) {
        h.connection("reconnecting", e instanceof Error ? e.message : String(e));
      }
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
    }
  })();
  return () => stop.abort();
}
