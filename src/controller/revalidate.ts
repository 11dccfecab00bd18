// Streams outlive the checks made when they opened: a certificate revoked or expired while an agent's
// Subscribe (or an operator's WatchEvents) runs must end that stream, not only refuse the next call.
// One sweep per period re-checks every open stream (10,000 agents' streams are one timer, not 10,000).
import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "./principal.js";

export interface WhileValid {
  /** Aborts with the call's signal, or when the credentials stop being valid. */
  signal: AbortSignal;
  /** Throws UNAUTHENTICATED if the stream ended because of the credentials; call after the stream ends. */
  throwIfInvalid(): void;
  dispose(): void;
}

/** The checks of open streams, per period, and the one timer that runs them. */
const sweeps = new Map<number, { checks: Set<() => void>; timer: NodeJS.Timeout }>();

function register(everyMs: number, check: () => void): () => void {
  let sweep = sweeps.get(everyMs);
  if (!sweep) {
    const checks = new Set<() => void>();
    const timer = setInterval(() => {
      for (const c of [...checks]) c();
    }, everyMs);
    timer.unref();
    sweeps.set(everyMs, (sweep = { checks, timer }));
  }
  const s = sweep;
  s.checks.add(check);
  return () => {
    s.checks.delete(check);
    if (s.checks.size === 0 && sweeps.get(everyMs) === s) {
      clearInterval(s.timer);
      sweeps.delete(everyMs);
    }
  };
}

/** Re-checks `p`'s credentials every `everyMs` while a stream runs. */
export function whileValid(p: Principal, parent: AbortSignal, method: string, log: (line: string) => void, everyMs = 1000): WhileValid {
  const ac = new AbortController();
  const onParent = () => ac.abort(parent.reason);
  parent.addEventListener("abort", onParent, { once: true });
  if (parent.aborted) ac.abort(parent.reason);
  let invalid: string | null = null;
  const stillValid = p.stillValid;
  const unregister = stillValid
    ? register(everyMs, () => {
        if (invalid !== null) return;
        const why = stillValid();
        if (why === null) return;
        invalid = why;
        log(`${method}: ending the stream of ${p.role} ${p.name} from ${p.peer}: ${why}`);
        ac.abort();
      })
    : null;
  return {
    signal: ac.signal,
    throwIfInvalid() {
      if (invalid !== null) throw new ConnectError(`${method}: credentials no longer valid: ${invalid}`, Code.Unauthenticated);
    },
    dispose() {
      unregister?.();
      parent.removeEventListener("abort", onParent);
    },
  };
}

/**
 * The stream `open` gives (on a signal that also aborts when `p`'s credentials stop being valid),
 * each item mapped, until it ends or `signal` aborts. Ends with UNAUTHENTICATED when the credentials
 * ended it, and with UNAVAILABLE when the source was closed under it (`closedBy`: its error).
 */
export async function* streamWhileValid<T, U>(
  p: Principal,
  signal: AbortSignal,
  method: string,
  log: (line: string) => void,
  open: (signal: AbortSignal) => AsyncIterable<T>,
  map: (item: T) => U,
  closedBy: (e: unknown) => e is Error,
): AsyncGenerator<U> {
  const valid = whileValid(p, signal, method, log);
  try {
    for await (const item of open(valid.signal)) yield map(item);
    valid.throwIfInvalid();
  } catch (e) {
    valid.throwIfInvalid();
    if (closedBy(e)) throw new ConnectError(e.message, Code.Unavailable);
    throw e;
  } finally {
    valid.dispose();
  }
}
