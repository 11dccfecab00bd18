// Path computation off the event loop. An apply of many intents on a large topology computes
// thousands of path groups, and a single target set (a DNS intent with protection on a 700-router
// graph) can take seconds: on the event loop that would stall every agent's stream, the HTTP/2
// keepalive PINGs and the reports for as long. Here one pair per target set to compute
// (state.pairsToCompute) goes, in small batches, to a few worker threads (path-worker.ts) that each
// hold a copy of the topology and answer with the path groups of the pair's targets; the event loop
// only hands out batches, collects results and assembles targets from them. The results are those of
// state.ts's own computation (the same pure function, core/live-paths.computeLiveRouterPath, on a
// structured clone of the same data), and planIntents takes them only while the overlay and the
// topology are still those they were computed under. A topology with an operator's metric changes goes
// to each worker once, with the first batch computed over it. Idle workers are unref'd:
// they never keep the process alive, and close() terminates them.
import { Worker } from "node:worker_threads";
import type { Intent, Topology } from "../core/model.js";
import type { ComputedGroup } from "./path-group-table.js";
import type { Unavailable } from "../core/live-paths.js";
import { canonicalJson, pairKey } from "./state.js";
import type { ComputedPair, ControllerState, IntentsPlan, PairTask, Precomputed } from "./state.js";

/** Worker threads computing paths; 0 computes them on the event loop (as before, stalling it for as long). */
export const DEFAULT_PATH_WORKERS = 2;
/** Pairs per message to a worker: small enough to spread the work, large enough that messages cost nothing. */
const BATCH_PAIRS = 16;
/** Heap of each worker: a runaway computation fails the apply instead of the controller. */
const DEFAULT_WORKER_HEAP_MB = 1024;

export interface BatchRequest {
  id: number;
  unavailable: Unavailable;
  /** The topology to compute over from this batch on; absent: the worker's as it is. */
  topology?: Topology;
  tasks: { host: string; intent: Intent }[];
}

/** One pair of a batch (its `index`), as soon as it is computed; an error ends the batch. */
export type PairReply =
  | { id: number; index: number; groups: ComputedGroup[] }
  | { id: number; index: number; error: string };

export interface PathComputer {
  /** The targets of every task under `unavailable`, by pairKey(host, intent name), over `topology` (default: the one it was created with). */
  compute(tasks: PairTask[], unavailable: Unavailable, topology?: Topology): Promise<Map<string, ComputedPair>>;
  close(): Promise<void>;
}

export interface PathWorkersOptions {
  /** Worker threads; default DEFAULT_PATH_WORKERS. */
  workers?: number;
  workerHeapMb?: number;
}

export class PathComputationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PathComputationError";
  }
}

interface Job {
  remaining: number;
  results: Map<string, ComputedPair>;
  done: boolean;
  resolve(r: Map<string, ComputedPair>): void;
  reject(e: Error): void;
}

interface Batch {
  request: BatchRequest;
  topology: Topology;
  keys: { key: string; intentJson: string }[];
  /** Pairs of the batch not yet answered. */
  left: number;
  job: Job;
}

interface Slot {
  worker: Worker | null;
  busy: Batch | null;
  /** The topology the worker computes over. */
  topology: Topology;
}

export function createPathWorkers(topology: Topology, opts: PathWorkersOptions = {}): PathComputer {
  const count = Math.max(1, opts.workers ?? DEFAULT_PATH_WORKERS);
  const heapMb = opts.workerHeapMb ?? DEFAULT_WORKER_HEAP_MB;
  const slots: Slot[] = Array.from({ length: count }, () => ({ worker: null, busy: null, topology }));
  /** The topology of the latest batch: what a worker started from now starts with. */
  let latest = topology;
  const queue: Batch[] = [];
  let nextId = 1;
  let closed = false;

  const fail = (job: Job, e: Error) => {
    if (job.done) return;
    job.done = true;
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.job === job) queue.splice(i, 1);
    job.reject(e);
  };

  const spawn = (slot: Slot): Worker => {
    slot.topology = latest;
    const w = new Worker(new URL("./path-worker.js", import.meta.url), {
      workerData: { topology: latest },
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    const lost = (why: string) => {
      if (slot.worker !== w) return;
      slot.worker = null;
      const b = slot.busy;
      slot.busy = null;
      if (b) fail(b.job, new PathComputationError(`path computation failed: ${why}`));
      pump();
    };
    w.on("message", (reply: PairReply) => {
      const b = slot.busy;
      if (!b || b.request.id !== reply.id) return;
      const finished = "error" in reply || --b.left === 0;
      if (finished) {
        slot.busy = null;
        w.unref();
      }
      if ("error" in reply) fail(b.job, new PathComputationError(`path computation failed: ${reply.error}`));
      else if (!b.job.done) {
        const { key, intentJson } = b.keys[reply.index]!;
        b.job.results.set(key, { intentJson, groups: reply.groups });
        if (finished && --b.job.remaining === 0) {
          b.job.done = true;
          b.job.resolve(b.job.results);
        }
      }
      if (finished) pump();
    });
    w.on("error", (e) => lost(e.message));
    w.on("exit", (code) => lost(`the worker thread exited (code ${code})`));
    w.unref();
    return w;
  };

  function pump(): void {
    if (closed) return;
    for (const slot of slots) {
      if (slot.busy) continue;
      const b = queue.shift();
      if (!b) break;
      slot.worker ??= spawn(slot);
      slot.busy = b;
      slot.worker.ref(); // a computation in flight keeps the process alive; an idle worker does not
      const changed = slot.topology !== b.topology;
      slot.topology = b.topology;
      slot.worker.postMessage(changed ? { ...b.request, topology: b.topology } : b.request);
    }
  }

  // Started now, not by the first apply: starting one (a copy of the topology, loading the code) takes the event loop tens of ms.
  for (const slot of slots) slot.worker = spawn(slot);

  return {
    compute(tasks, unavailable, over = topology) {
      latest = over;
      if (closed) return Promise.reject(new PathComputationError("path computation is shut down"));
      if (tasks.length === 0) return Promise.resolve(new Map());
      return new Promise((resolve, reject) => {
        const job: Job = { remaining: 0, results: new Map(), done: false, resolve, reject };
        for (let i = 0; i < tasks.length; i += BATCH_PAIRS) {
          const part = tasks.slice(i, i + BATCH_PAIRS);
          queue.push({
            request: { id: nextId++, unavailable, tasks: part.map((t) => ({ host: t.host, intent: t.intent })) },
            topology: over,
            keys: part.map((t) => ({ key: pairKey(t.host, t.intent.name), intentJson: canonicalJson(t.intent) })),
            left: part.length,
            job,
          });
          job.remaining++;
        }
        pump();
      });
    },
    async close() {
      closed = true;
      const shutdown = new PathComputationError("path computation is shut down");
      for (const b of queue.splice(0)) fail(b.job, shutdown);
      await Promise.all(
        slots.map(async (s) => {
          const w = s.worker;
          const b = s.busy;
          s.worker = null;
          s.busy = null;
          if (b) fail(b.job, shutdown);
          if (w) await w.terminate();
        }),
      );
    },
  };
}

/** How many times a plan computes its pairs again because the overlay changed meanwhile, before it computes the rest itself. */
const OVERLAY_RETRIES = 3;

/**
 * state.planIntents(next), with the pairs computed by `computer` first (off the event loop). When the
 * liveliness overlay changes while they are computed, they are computed again under the new one; after
 * OVERLAY_RETRIES such changes, planIntents computes the stale pairs itself. The plan is always what
 * state.planIntents(next) gives at the moment it is made.
 */
export async function planIntentsOffLoop(state: ControllerState, next: Intent[], computer: PathComputer | null): Promise<IntentsPlan> {
  if (!computer) return state.planIntents(next);
  let ahead: Precomputed | undefined;
  for (let attempt = 0; attempt <= OVERLAY_RETRIES; attempt++) {
    const unavailable = state.unavailable();
    const topology = state.topology;
    ahead = { unavailable, topology, pairs: await computer.compute(state.pairsToCompute(next), unavailable, topology) };
    if (state.unavailable() === unavailable && state.topology === topology) break;
  }
  return state.planIntents(next, ahead);
}
