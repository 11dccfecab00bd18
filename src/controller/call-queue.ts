// Unary calls are answered at most N at a time, in arrival order; the others wait their turn before
// anything reads them. Streams (Subscribe, WatchEvents, AgentSession) are not counted: they last for
// hours (a session's messages take turns of their own, agent-session.ts).
// Why: a burst of thousands of calls (every agent of a large fleet reporting the same link failure,
// then acknowledging its update) started all at once advances each call a step per turn of the event
// loop, so every call is answered only when nearly all of them are, after its client's deadline; the
// client then tries again and the burst doubles. N at a time answers the first calls within
// milliseconds and the whole burst in the same total time, and a call that waited is read only then.
import type { Handler, NodeRequest, NodeResponse } from "./request-guard.js";
import { Turns } from "./turns.js";

export interface CallQueue {
  (req: NodeRequest, res: NodeResponse): void;
  /** Unary calls being answered now. */
  readonly active: number;
  /** Unary calls waiting for their turn. */
  readonly waiting: number;
}

export interface CallQueueOptions {
  /** Unary calls answered at once (a budget of its own when `turns` is not given). */
  maxConcurrent: number;
  /** The budget shared with other work (agents' session messages). */
  turns?: Turns;
  /** The request paths ("/package.Service/Method") of streaming methods: never queued, never counted. */
  streams: ReadonlySet<string>;
}

const gone = (req: NodeRequest, res: NodeResponse) => req.destroyed || res.writableEnded || ("stream" in req && (req.stream.destroyed || req.stream.closed));

export function queueCalls(handler: Handler, o: CallQueueOptions): CallQueue {
  const turns = o.turns ?? new Turns(o.maxConcurrent);
  let active = 0;
  let waiting = 0;
  const queueing = ((req: NodeRequest, res: NodeResponse) => {
    const path = (req.url ?? "").split("?")[0]!;
    if (o.streams.has(path)) return handler(req, res);
    waiting++;
    turns.run(() => {
      waiting--;
      // A client that gave up while it waited (its deadline, its connection) costs nothing more.
      if (gone(req, res)) return false;
      active++;
      res.once("close", () => {
        active--;
        turns.release();
      });
      handler(req, res);
      return true;
    });
  }) as CallQueue;
  Object.defineProperties(queueing, {
    active: { get: () => active },
    waiting: { get: () => waiting },
  });
  return queueing;
}
