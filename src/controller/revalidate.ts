// Streams outlive the checks made when they opened: a certificate revoked or expired while an agent's
// Subscribe (or an operator's WatchEvents) runs must end that stream, not only refuse the next call.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "./principal.js";

export interface WhileValid {
  /** Aborts with the call's signal, or when the credentials stop being valid. */
  signal: AbortSignal;
  /** Throws UNAUTHENTICATED if the stream ended because of the credentials; call after the stream ends. */
  throwIfInvalid(): void;
  dispose(): void;
}

/** Re-checks `p`'s credentials every `everyMs` while a stream runs. */
export function whileValid(p: Principal, parent: AbortSignal, method: string, log: (line: string) => void, everyMs = 1000): WhileValid {
  const ac = new AbortController();
  const onParent = () => ac.abort(parent.reason);
  parent.addEventListener("abort", onParent, { once: true });
  if (parent.aborted) ac.abort(parent.reason);
  let invalid: string | null = null;
  const timer = p.stillValid
    ? setInterval(() => {
        const why = p.stillValid!();
        if (why === null) return;
        invalid = why;
        log(`${method}: ending the stream of ${p.role} ${p.name} from ${p.peer}: ${why}`);
        ac.abort();
      }, everyMs)
    : null;
  timer?.unref();
  return {
    signal: ac.signal,
    throwIfInvalid() {
      if (invalid !== null) throw new ConnectError(`${method}: credentials no longer valid: ${invalid}`, Code.Unauthenticated);
    },
    dispose() {
      if (timer) clearInterval(timer);
      parent.removeEventListener("abort", onParent);
    },
  };
}
