import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { isLateKeepaliveError } from "./keepalive-guard.js";

const GUARD = fileURLToPath(new URL("./keepalive-guard.js", import.meta.url));
const CONNECT = import.meta.resolve("@connectrpc/connect");

/** Runs `body` in a node process with the guard installed; its exit code and output. */
function withGuard(body: string) {
  const script = `
    import { surviveLateKeepaliveErrors } from ${JSON.stringify(GUARD)};
    import { Code, ConnectError } from ${JSON.stringify(CONNECT)};
    surviveLateKeepaliveErrors((line) => console.log("logged: " + line));
    ${body}`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
}

test("connect-node's late keepalive errors are recognised, nothing else is", () => {
  assert.equal(isLateKeepaliveError(new ConnectError("PING timed out", Code.Unavailable)), true);
  assert.equal(isLateKeepaliveError(new ConnectError("PING timed out", Code.Internal)), false);
  assert.equal(isLateKeepaliveError(new ConnectError("connection refused", Code.Unavailable)), false);
  const invalid = Object.assign(new Error("The session has been destroyed"), { code: "ERR_HTTP2_INVALID_SESSION" });
  invalid.stack = "Error: The session has been destroyed\n    at commonPing (/x/node_modules/@connectrpc/connect-node/dist/esm/http2-session-manager.js:433:14)";
  assert.equal(isLateKeepaliveError(invalid), true);
  assert.equal(isLateKeepaliveError(Object.assign(new Error("elsewhere"), { code: "ERR_HTTP2_INVALID_SESSION" })), false);
  assert.equal(isLateKeepaliveError("PING timed out"), false);
});

test("a late keepalive error with no listener is logged and the process goes on", () => {
  const r = withGuard(`
    setTimeout(() => { throw new ConnectError("PING timed out", Code.Unavailable); }, 10);
    setTimeout(() => console.log("still running"), 100);`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /logged: a controller connection ended by its keepalive \(\[unavailable\] PING timed out\)/);
  assert.match(r.stdout, /still running/);
});

test("any other uncaught error still ends the process with its stack", () => {
  const r = withGuard(`
    setTimeout(() => { throw new Error("boom"); }, 10);
    setTimeout(() => console.log("still running"), 200);`);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Error: boom\n\s+at /);
  assert.doesNotMatch(r.stdout, /still running/);
});
