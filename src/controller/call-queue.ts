// Unary calls are answered at most N at a time, in arrival order; the others wait their turn before
// anything reads them. Streams (Subscribe, WatchEvents) are not counted: they last for hours.
// Why: a burst of thousands of calls (every agent of a large fleet reporting the same link failure,
// then acknowledging its update) started all at once advances each call a step per turn of the event
// loop, so every call is answered only when nearly all of them are, after its client's deadline; the
// client then tries again and the burst doubles. N at a time answers the first calls within
// milliseconds and the whole burst in the same total time, and a call that waited is read only then.
import type { Handler, NodeRequest, NodeResponse } from "./request-guard.js";

export interface CallQueue {
  (req: NodeRequest, res: NodeResponse): void;
  /** Unary calls being answered now. */
  readonly active: number;
  /** Unary calls waiting for their turn. */
  readonly waiting: number;
}

export interface CallQueueOptions {
  /** Unary calls answered at once. */
  maxConcurrent: number;
  /** The request paths ("/package.Service/Method") of streaming methods: never queued, never counted. */
  streams: ReadonlySet<string>;
}

const gone = (req: NodeRequest, res: NodeResponse) => req.destroyed || res.writableEnded || ("stream" in req && (req.stream.destroyed || req.stream.closed));

export function queueCalls(handler: Handler, o: CallQueueOptions): CallQueue {
  let active = 0;
  // A FIFO as an array with a moving head: shift() would copy a 10,000-entry queue each time.
  let queue: { req: NodeRequest; res: NodeResponse }[] = [];
  let head = 0;

  const start = (req: NodeRequest, res: NodeResponse) => {
    active++;
    res.once("close", () => {
      active--;
      next();
    });
    handler(req, res);
  };
  const next = () => {
    while (active < o.maxConcurrent && head < queue.length) {
      const c = queue[head]!;
      queue[head++] = undefined as never;
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      // A client that gave up while it waited (its deadline, its connection) costs nothing more.
      if (!gone(c.req, c.res)) start(c.req, c.res);
    }
  };

  const queueing = ((req: NodeRequest, res: NodeResponse) => {
    const path = (req.url ?? "").split("?")[0]!;
    if (o.streams.has(path)) return handler(req, res);
    if (active < o.maxConcurrent) return start(req, res);
    queue.push({ req, res });
  }) as CallQueue;
  Object.defineProperties(queueing, {
    active: { get: () => active },
    waiting: { get: () => queue.length - head },
  });
  return queueing;
}
