// Trust, end to end in the lab: the controller speaks TLS only, every caller is someone with a role,
// agents act for their own host, apps on the hosts hold no credentials, and no request (empty,
// conflicting, huge) can wipe or starve the controller. Everything is checked against the real
// lab: its CA, its controller process, its agents, its audit log.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, constants as h2 } from "node:http2";
import { createServer, type Server } from "node:net";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getPaths } from "../api/client.js";
import type { ClientCredentials } from "../api/credentials.js";
import { credentialPaths, issueCertificate } from "../certs/index.js";
import { LAB_AUDIT_LOG, LAB_CONTROLLER_URL, readAgentStatus, startLabAgent, waitForLabAgent } from "../lab/control-plane.js";
import { CONTROLLER_ENDPOINT } from "../lab/endpoint.js";
import { labExecCapture } from "../lab/exec.js";
import { labDown, labExists, labStatus, processAlive } from "../lab/index.js";
import { LAB_ADMIN, LAB_CA_CERT, LAB_OPERATOR_CONFIG, LAB_PKI_DIR, labAgentTlsArgs, labOperatorClient, labOperatorCredentials } from "../lab/pki.js";
import { HOST_UPLINK } from "../lab/naming.js";
import { LOG_DIR, nsName } from "../lab/paths.js";
import { tryCalls } from "./call-as.js";
import { run, ROOT, CLI, EXAMPLE, LAB_SKIP } from "../testing/lab-e2e.js";

const CALL_AS = join(ROOT, "dist/e2e/call-as.js");
const skip = LAB_SKIP;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}
/** Runs `cairn ARGS` as root in the root namespace (where the lab's admin config is the default). */
async function cli(...args: string[]): Promise<CliResult> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { timeout: 120_000, env: { ...process.env, CAIRN_CONFIG: "" } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === "number" ? x.code : -1, stdout: x.stdout ?? "", stderr: x.stderr ?? "" };
  }
}
async function cliOk(...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.equal(r.code, 0, `cairn ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function revision(): Promise<number> {
  const c = await labOperatorClient();
  try {
    return (await c.listIntents()).revision;
  } finally {
    c.close();
  }
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | null> | T | null): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let tmp = "";
let ca = "";
const controllerPid = () => labStatus()?.processes.find((p) => p.role === "controller")?.pid ?? null;

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), "cairn-trust-"));
  if (labExists()) await labDown();
  await cliOk("lab", "up", EXAMPLE("topology.yaml"), "--intents", EXAMPLE("intents.yaml"));
  ca = readFileSync(LAB_CA_CERT, "utf8");
});

after(async () => {
  if (skip) return;
  await labDown();
  rmSync(tmp, { recursive: true, force: true });
});

test("the lab makes its own credentials: secrets readable by root alone, the CA certificate public, `cairn` an admin by default", { skip }, async () => {
  const mode = (p: string) => statSync(p).mode & 0o777;
  assert.equal(mode(LAB_PKI_DIR), 0o700);
  assert.equal(mode(credentialPaths(LAB_PKI_DIR, "ca").key), 0o600);
  assert.equal(mode(credentialPaths(LAB_PKI_DIR, "agent", "h1").key), 0o600);
  assert.equal(mode(join(LAB_OPERATOR_CONFIG, "..")), 0o700);
  assert.equal(mode(LAB_OPERATOR_CONFIG), 0o600);
  assert.equal(mode(LAB_CA_CERT), 0o644);
  assert.ok(LAB_CONTROLLER_URL.startsWith("https://"), LAB_CONTROLLER_URL);
  const paths = JSON.parse(await cliOk("get", "paths", "--json")) as { agents: Array<{ host: string }> };
  assert.deepEqual(paths.agents.map((a) => a.host).sort(), ["h1", "h2"], "both agents connected with their certificates");
});

test("an app on a host, without credentials, cannot read a key, list, apply, subscribe or report", { skip }, async () => {
  const before = await revision();
  const secrets = [credentialPaths(LAB_PKI_DIR, "ca").key, credentialPaths(LAB_PKI_DIR, "agent", "h1").key, credentialPaths(LAB_PKI_DIR, "operator", LAB_ADMIN).key, LAB_OPERATOR_CONFIG];
  const r = await labExecCapture("h1", { app: "intruder", command: [process.execPath, CALL_AS, LAB_CONTROLLER_URL, LAB_CA_CERT, "h2", ...secrets] });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { uid: number; calls: Record<string, string>; files: Record<string, string> };
  assert.notEqual(out.uid, 0, "lab apps do not run as root");
  assert.deepEqual(out.calls, {
    ListPaths: "Unauthenticated",
    ListIntents: "Unauthenticated",
    ApplyIntents: "Unauthenticated",
    Subscribe: "Unauthenticated",
    ReportStatus: "Unauthenticated",
    AgentSession: "Unauthenticated",
    CreateUiLogin: "Unauthenticated",
    ListLabFaults: "Unauthenticated",
    InjectLabFault: "Unauthenticated",
  });
  for (const f of secrets) assert.equal(out.files[f], "EACCES", `${f} is out of an app's reach`);
  // The CLI too, as that app: the lab's admin config is not readable to it, and the controller refuses it.
  const apply = await labExecCapture("h1", { app: "intruder", command: [process.execPath, CLI, "apply", "-f", EXAMPLE("intents-changed.yaml"), "--controller", LAB_CONTROLLER_URL] });
  assert.notEqual(apply.code, 0, `an app's cairn apply failed: ${apply.stdout}`);
  assert.equal(await revision(), before, "nothing changed");
});

test("an agent certificate acts for its own host only, and is no operator", { skip }, async () => {
  const own = credentialPaths(LAB_PKI_DIR, "agent", "h1");
  const creds: ClientCredentials = { ca, cert: readFileSync(own.cert, "utf8"), key: readFileSync(own.key, "utf8") };
  const asH2 = await tryCalls(LAB_CONTROLLER_URL, creds, "h2");
  assert.deepEqual(asH2, {
    ListPaths: "PermissionDenied",
    ListIntents: "PermissionDenied",
    ApplyIntents: "PermissionDenied",
    Subscribe: "PermissionDenied",
    ReportStatus: "PermissionDenied",
    AgentSession: "PermissionDenied",
    CreateUiLogin: "PermissionDenied",
    ListLabFaults: "PermissionDenied",
    InjectLabFault: "PermissionDenied",
  });
  const asH1 = await tryCalls(LAB_CONTROLLER_URL, creds, "h1");
  assert.equal(asH1.Subscribe, "ok", "h1's certificate subscribes as h1");
  assert.equal(asH1.AgentSession, "ok", "h1's certificate opens a session as h1");
  const log = readFileSync(join(LOG_DIR, "controller.log"), "utf8");
  assert.match(log, /Subscribe.*h2|h2.*Subscribe/, "the refusal is logged");
});

test("a viewer lists but cannot apply; an admin token applies; both through `cairn certs` and a config file", { skip }, async () => {
  await cliOk("certs", "issue", LAB_PKI_DIR, "--operator", "vera", "--role", "viewer");
  const config = join(tmp, "vera.yaml");
  await cliOk("certs", "config", LAB_PKI_DIR, "--operator", "vera", "--controller", LAB_CONTROLLER_URL, "--out", config);
  const before = await revision();
  const listed = JSON.parse(await cliOk("--config", config, "get", "paths", "--json")) as { hosts: unknown[] };
  assert.ok(listed.hosts.length > 0);
  const apply = await cli("--config", config, "apply", "-f", EXAMPLE("intents-changed.yaml"));
  assert.notEqual(apply.code, 0);
  assert.match(apply.stderr, /viewer vera may not|permission/i, apply.stderr);
  assert.equal(await revision(), before, "the viewer changed nothing");

  const token = (JSON.parse(await cliOk("certs", "token", LAB_PKI_DIR, "--name", "ci", "--role", "admin", "--json")) as { token: string }).token;
  // The controller watches tokens.yaml: a new token counts once it has read the file again.
  const calls = await until("the new token to be taken", 5_000, async () => {
    const c = await tryCalls(LAB_CONTROLLER_URL, { ca, token }, "h1");
    return c.ListPaths === "ok" ? c : null;
  });
  assert.equal(calls.ApplyIntents, "Aborted", "an admin's apply gets past authorisation to the revision check");
  assert.equal(calls.Subscribe, "PermissionDenied", "an operator is no agent");
  assert.equal(calls.AgentSession, "PermissionDenied", "an operator opens no agent session");
  assert.equal(calls.InjectLabFault, "InvalidArgument", "an admin's lab fault gets past authorisation to the lab, which names what it lacks");
  assert.equal(calls.ListLabFaults, "ok");
  const viewer = await tryCalls(LAB_CONTROLLER_URL, { ca, cert: readFileSync(credentialPaths(LAB_PKI_DIR, "operator", "vera").cert, "utf8"), key: readFileSync(credentialPaths(LAB_PKI_DIR, "operator", "vera").key, "utf8") }, "h1");
  assert.deepEqual([viewer.ListLabFaults, viewer.InjectLabFault, viewer.CreateUiLogin], ["ok", "PermissionDenied", "ok"], "a viewer sees the lab's faults and may log a browser in, but injects nothing");
});

test("`cairn ui` prints a one-time login link; with it a browser's session injects and heals a lab fault as the lab's admin", { skip }, async () => {
  const printed = await cli("ui");
  assert.equal(printed.code, 0, printed.stderr);
  const link = printed.stdout.trim();
  assert.ok(link.startsWith(`${new URL(LAB_CONTROLLER_URL).origin}/ui/login?token=`), link);
  assert.match(link, /token=[A-Za-z0-9_-]{43}$/);
  assert.ok(printed.stderr.includes(`works once): the browser is logged in as admin ${LAB_ADMIN}`), printed.stderr);
  const session = connect(LAB_CONTROLLER_URL, { ca });
  try {
    const send = (path: string, o: { method?: string; cookie?: string; body?: string } = {}) =>
      new Promise<{ status: number; cookie: string; body: string }>((resolve, reject) => {
        const headers: Record<string, string> = { [h2.HTTP2_HEADER_METHOD]: o.method ?? "GET", [h2.HTTP2_HEADER_PATH]: path };
        if (o.cookie) headers["cookie"] = o.cookie;
        if (o.body !== undefined) headers["content-type"] = "application/json";
        const req = session.request(headers);
        let status = 0;
        let cookie = "";
        let body = "";
        req.on("response", (h) => {
          status = Number(h[h2.HTTP2_HEADER_STATUS]);
          cookie = String(h["set-cookie"] ?? "").split(";")[0]!;
        });
        req.setEncoding("utf8");
        req.on("data", (d: string) => (body += d));
        req.on("end", () => resolve({ status, cookie, body }));
        req.on("error", reject);
        req.end(o.body);
      });
    const login = await send(new URL(link).pathname + new URL(link).search);
    assert.equal(login.status, 303, login.body);
    const cookie = login.cookie;
    const rpc = (method: string, body: object) => send(`/cairn.v1.CairnService/${method}`, { method: "POST", cookie, body: JSON.stringify(body) });
    const injected = await rpc("InjectLabFault", { kind: "drop", target: "r2-r3", direction: "r2-r3" });
    assert.equal(injected.status, 200, injected.body);
    assert.match(injected.body, /"description":"[^"]*r2/);
    const listed = JSON.parse((await rpc("ListLabFaults", {})).body) as { faults?: Array<{ kind: string; name: string }> };
    assert.deepEqual(listed.faults?.map((f) => [f.kind, f.name]), [["drop", "r2-r3"]]);
    assert.deepEqual(labStatus()?.faults.map((f) => f.kind), ["drop"], "the lab's own state has it");
    const healed = await rpc("HealLabFault", { target: "r2-r3" });
    assert.equal(healed.status, 200, healed.body);
    assert.deepEqual(labStatus()?.faults ?? [], []);
    assert.equal((await send(new URL(link).pathname + new URL(link).search)).status, 401, "the link worked once");
  } finally {
    session.close();
  }
  assert.ok(readFileSync(join(LOG_DIR, "controller.log"), "utf8").includes(`lab fault injected by admin ${LAB_ADMIN} (session)`), "the controller logs who injected it");
});

test("expired and revoked credentials are refused, while the controller keeps running", { skip }, async () => {
  const pid = controllerPid();
  const day = 86_400_000;
  await issueCertificate(LAB_PKI_DIR, { kind: "operator", name: "old", role: "admin" }, { notBeforeMs: Date.now() - 3 * day, notAfterMs: Date.now() - day });
  const old = credentialPaths(LAB_PKI_DIR, "operator", "old");
  const expired = await tryCalls(LAB_CONTROLLER_URL, { ca, cert: readFileSync(old.cert, "utf8"), key: readFileSync(old.key, "utf8") }, "h1");
  assert.equal(expired.ListPaths, "Unauthenticated", "an expired certificate");

  await cliOk("certs", "issue", LAB_PKI_DIR, "--operator", "bob", "--role", "admin");
  const bob = await labOperatorCredentials("bob");
  assert.equal((await tryCalls(LAB_CONTROLLER_URL, bob, "h1")).ListPaths, "ok");
  await cliOk("certs", "revoke", LAB_PKI_DIR, "--operator", "bob");
  await until("bob's certificate to be refused", 5_000, async () => ((await tryCalls(LAB_CONTROLLER_URL, bob, "h1")).ListPaths === "Unauthenticated" ? true : null));

  const token = (JSON.parse(await cliOk("certs", "token", LAB_PKI_DIR, "--name", "temp", "--role", "viewer", "--json")) as { token: string }).token;
  await until("the new token to be taken", 5_000, async () => ((await tryCalls(LAB_CONTROLLER_URL, { ca, token }, "h1")).ListPaths === "ok" ? true : null));
  await cliOk("certs", "revoke", LAB_PKI_DIR, "--token", "temp");
  await until("the revoked token to be refused", 5_000, async () => ((await tryCalls(LAB_CONTROLLER_URL, { ca, token }, "h1")).ListPaths === "Unauthenticated" ? true : null));
  assert.equal(controllerPid(), pid, "no restart");
  assert.ok(pid !== null && processAlive(pid));
});

test("`cairn apply -f /dev/null` and an empty set change nothing and exit non-zero", { skip }, async () => {
  const before = await revision();
  const devNull = await cli("apply", "-f", "/dev/null");
  assert.notEqual(devNull.code, 0, devNull.stdout);
  assert.match(devNull.stderr, /nothing applied/);
  const empty = join(tmp, "empty.yaml");
  writeFileSync(empty, "intents: []\n");
  const wipe = await cli("apply", "-f", empty);
  assert.notEqual(wipe.code, 0, wipe.stdout);
  assert.match(wipe.stderr, /every intent|prune-all/);
  const braces = join(tmp, "braces.yaml");
  writeFileSync(braces, "{}\n");
  assert.notEqual((await cli("apply", "-f", braces)).code, 0);
  assert.equal(await revision(), before);
  assert.ok(readAgentStatus("h1")!.rules.length > 0, "h1 keeps its rules");
});

test("an apply based on a revision someone else changed since is refused as a conflict", { skip }, async () => {
  const base = await revision();
  const first = JSON.parse(await cliOk("apply", "-f", EXAMPLE("intents-changed.yaml"), "--revision", String(base), "--json")) as { revision: number };
  assert.ok(first.revision > base);
  const second = await cli("apply", "-f", EXAMPLE("intents.yaml"), "--revision", String(base));
  assert.equal(second.code, 4, `a conflict exits 4: ${second.stderr}`);
  assert.match(second.stderr, /conflict|changed since/i);
  assert.equal(await revision(), first.revision, "the second apply changed nothing");
  await cliOk("apply", "-f", EXAMPLE("intents.yaml")); // back to the start
});

/** Opens an ApplyIntents call announcing `bytes` of body and sends it until the controller answers; ms to the answer and its status. */
async function hugeRequest(creds: ClientCredentials, bytes: number): Promise<{ ms: number; status: number; sent: number }> {
  const session = connect(LAB_CONTROLLER_URL, { ca: creds.ca!, cert: creds.cert!, key: creds.key! });
  try {
    const t0 = performance.now();
    const req = session.request({
      [h2.HTTP2_HEADER_METHOD]: "POST",
      [h2.HTTP2_HEADER_PATH]: "/cairn.v1.CairnService/ApplyIntents",
      [h2.HTTP2_HEADER_CONTENT_TYPE]: "application/proto",
      [h2.HTTP2_HEADER_CONTENT_LENGTH]: String(bytes),
    });
    let sent = 0;
    const chunk = Buffer.alloc(1 << 20, 0x41);
    let answered = false;
    const pump = async () => {
      while (!answered && sent < bytes && !req.destroyed) {
        const ok = req.write(chunk);
        sent += chunk.length;
        if (!ok) await new Promise((r) => req.once("drain", r).once("close", r));
      }
    };
    const status = await new Promise<number>((resolve, reject) => {
      req.once("response", (headers) => {
        answered = true;
        resolve(Number(headers[h2.HTTP2_HEADER_STATUS]));
      });
      req.once("error", reject);
      void pump();
    });
    const ms = performance.now() - t0;
    req.close();
    return { ms, status, sent };
  } finally {
    session.destroy();
  }
}

test("500 MB requests are refused in well under a second, while the agents stay connected", { skip }, async () => {
  const before = await getPaths(LAB_CONTROLLER_URL, { credentials: await labOperatorCredentials() });
  const admin = await labOperatorCredentials();
  const results = await Promise.all(Array.from({ length: 6 }, () => hugeRequest(admin, 500_000_000)));
  for (const r of results) {
    assert.ok(r.status !== 200 || r.sent < 500_000_000, `refused (HTTP ${r.status})`);
    assert.ok(r.ms < 1000, `answered in ${r.ms.toFixed(0)} ms`);
    assert.ok(r.sent < 100_000_000, `the controller did not read the body (${r.sent} bytes sent)`);
  }
  const afterwards = await getPaths(LAB_CONTROLLER_URL, { credentials: admin });
  assert.deepEqual(
    afterwards.agents.map((a) => [a.host, a.connectedAt]).sort(),
    before.agents.map((a) => [a.host, a.connectedAt]).sort(),
    "the same agent connections as before",
  );
  for (const h of ["h1", "h2"]) assert.ok(readAgentStatus(h)?.connected, `${h}'s agent is connected`);
});

test("the audit log and `cairn events` record who changed what, from which revision to which", { skip }, async () => {
  const lines = readFileSync(LAB_AUDIT_LOG, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { action: string; outcome: string; by: { name: string; role: string }; previousRevision: number; revision: number; code?: string });
  assert.equal(lines[0]!.action, "load");
  const applied = lines.filter((l) => l.outcome === "applied");
  assert.ok(applied.length >= 2, `the two applies of the conflict test: ${JSON.stringify(applied)}`);
  for (const a of applied) {
    assert.equal(a.by.name, LAB_ADMIN);
    assert.equal(a.by.role, "admin");
    assert.equal(a.revision, a.previousRevision + 1);
  }
  const refused = lines.filter((l) => l.outcome === "refused");
  assert.ok(refused.some((l) => l.code === "aborted"), "the conflicting apply is recorded as refused");
  const events = await cliOk("events", "--json");
  assert.match(events, new RegExp(LAB_ADMIN), "intent changes in the events name who made them");
});

test("an agent started under `ip netns exec` (no cgroup v2 there) stops, saying why, and leaves the steering installed", { skip }, async () => {
  const installed = readAgentStatus("h1")!.rules.filter((r) => r.state === "installed").length;
  assert.ok(installed > 0);
  const r = await run("ip", ["netns", "exec", nsName("h1"), process.execPath, CLI, "agent", "--controller", LAB_CONTROLLER_URL, "--host", "h1", "--interface", HOST_UPLINK, ...labAgentTlsArgs("h1")], { timeout: 30_000 }).then(
    () => ({ code: 0, stderr: "" }),
    (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? "" }),
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /cgroup v2 is not visible here/);
  await new Promise((res) => setTimeout(res, 1500)); // a status write or two of the running agent
  const still = readAgentStatus("h1")!;
  assert.equal(still.rules.filter((x) => x.state === "installed").length, installed, "the running agent's rules are all still installed");
});

test("`lab status` finds an agent restarted by hand", { skip }, async () => {
  const recorded = labStatus()!.processes.find((p) => p.role === "agent" && p.node === "h1" && p.alive)!;
  process.kill(recorded.pid!, "SIGTERM");
  await until("h1's agent to stop", 10_000, () => (processAlive(recorded.pid!) ? null : true));
  const byHand = await import("node:child_process").then(({ spawn }) =>
    spawn("nsenter", [`--net=/run/netns/${nsName("h1")}`, process.execPath, CLI, "agent", "--controller", LAB_CONTROLLER_URL, "--host", "h1", "--interface", HOST_UPLINK, ...labAgentTlsArgs("h1")], { stdio: "ignore", detached: true }),
  );
  try {
    const seen = await until("lab status to list the hand-started agent", 10_000, () => labStatus()!.processes.find((p) => p.role === "agent" && p.node === "h1" && p.alive) ?? null);
    assert.equal(seen.pid, byHand.pid);
    assert.equal(seen.unrecorded, true);
    const text = await cliOk("lab", "status");
    assert.match(text, new RegExp(`agent\\s+h1\\s+${byHand.pid}\\s+running \\(started by hand\\)`));
  } finally {
    byHand.kill("SIGTERM");
    await until("the hand-started agent to stop", 10_000, () => (processAlive(byHand.pid!) ? null : true));
    const again = startLabAgent("h1");
    await waitForLabAgent("h1", again, 30_000);
  }
});

test("`lab up` refuses a controller address someone else holds, naming who, instead of reporting success", { skip }, async () => {
  await labDown();
  const squatter: Server = createServer();
  await new Promise<void>((resolve) => squatter.listen({ host: "::", port: Number(CONTROLLER_ENDPOINT.split(":").pop()) }, resolve));
  try {
    const t0 = Date.now();
    const r = await cli("lab", "up", EXAMPLE("topology.yaml"), "--intents", EXAMPLE("intents.yaml"));
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, new RegExp(`${CONTROLLER_ENDPOINT.replace(/[[\]]/g, "\\$&")} is in use by node \\(pid ${process.pid}\\)`));
    // Refused at the port check, not after waiting out the controller's 30 s start timeout.
    assert.ok(Date.now() - t0 < 30_000, `lab up failed after ${Date.now() - t0} ms`);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
    await labDown();
  }
});
