// connect-node's HTTP/2 session manager (2.1.x) can throw from its keepalive after it has let go of
// a connection: a PING answered later than the timeout (a busy event loop) destroys the session
// with "PING timed out" after the manager removed its "error" listener, and a ping timer can fire on
// a session already destroyed (ERR_HTTP2_INVALID_SESSION; connectrpc/connect-es#1795, #1143). Either
// way the error has no listener and would end the process, although only that one connection is
// lost and the client's next call opens another. A long-running client (the agent, the fleet
// simulator's workers) logs these and goes on; anything else still ends the process as before.
import { Code, ConnectError } from "@connectrpc/connect";

/** A keepalive error of a connection connect-node has already let go of. */
export function isLateKeepaliveError(e: unknown): boolean {
  if (e instanceof ConnectError) return e.code === Code.Unavailable && e.rawMessage === "PING timed out";
  return e instanceof Error && (e as NodeJS.ErrnoException).code === "ERR_HTTP2_INVALID_SESSION" && (e.stack ?? "").includes("http2-session-manager");
}

let installed: ((e: Error) => void) | null = null;

/** Installs the process-wide handler once; `log` gets one line per error swallowed. */
export function surviveLateKeepaliveErrors(log: (line: string) => void): void {
  if (installed) return;
  installed = (e: Error) => {
    if (isLateKeepaliveError(e)) return log(`a controller connection ended by its keepalive (${e.message}); the next call opens another`);
    // What Node would have done without this handler.
    process.stderr.write(`${e.stack ?? String(e)}\n`);
    process.exit(1);
  };
  process.on("uncaughtException", installed);
}
