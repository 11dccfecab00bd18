// Live updates without polling: WatchEvents from the last event shown; each event goes to the
// timeline, and the views re-read ListLinks and ListPaths once per burst of events. When the stream
// breaks, it is opened again (after 1 s, then up to 10 s) from the last event seen, and everything
// is re-read. A controller that restarted numbers its events from 1 again and refuses a watch past
// its newest (OUT_OF_RANGE): the timeline starts over with the new controller's events. A session
// the controller no longer knows (UNAUTHENTICATED) ends the feed: only a new login link helps.
import { Code } from "@connectrpc/connect";
import type { EventView } from "../../src/api/types.js";
import { CallError, type Api } from "./api.js";

/** Events that arrive together (a localisation, its recompute, pushes, acks) cause one refresh. */
const BURST_MS = 50;
const RETRY_MS = [1000, 2000, 5000, 10_000];

export interface LiveHandlers {
  events(events: EventView[]): void;
  /** Re-read what events change (links, paths, intents). */
  refresh(): Promise<void>;
  /** "logged out": the session ended (expired, revoked, or the controller restarted); nothing more comes. */
  connection(state: "live" | "reconnecting" | "logged out", detail?: string): void;
  /** The controller restarted: its events so far are another controller's. */
  restarted(): void;
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
        if (e instanceof CallError && e.code === Code.OutOfRange) {
          last = 0;
          h.restarted();
          continue;
        }
        if (e instanceof CallError && e.code === Code.Unauthenticated) return h.connection("logged out", e.message);
        h.connection("reconnecting", e instanceof Error ? e.message : String(e));
      }
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
    }
  })();
  return () => stop.abort();
}
