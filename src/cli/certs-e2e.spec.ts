// `cairn certs ...` and the operator commands end to end: the built CLI (node dist/cli/main.js)
// makes a CA and credentials, a controller runs on them in this process over TLS, and the CLI
// reaches it with a config file (--config, CAIRN_CONFIG) as admin, viewer, token or nobody.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { scratchDir } from "../certs/testing.js";
import { INTENTS_V1, INTENTS_V2, serveController, TOPOLOGY_YAML } from "../controller/testing.js";

const CLI = fileURLToPath(new URL("./main.js", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI, asynchronously (the controller answering it runs in this process). */
function cairn(args: string[], env: Record<string, string> = {}, home = "/nonexistent", cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", HOME: home, ...env }, timeout: 20_000, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const ok = (r: Run, what: string) => assert.equal(r.code, 0, `${what}: ${r.stderr}`);


test("cairn certs makes the credentials; the CLI uses them through its config file", async (t) => {
  const work = await scratchDir(t, "cairn-cli-tls-");
  const dir = join(work, "pki");
  ok(await cairn(["certs", "init", dir]), "init");
  ok(await cairn(["certs", "issue", dir, "--agent", "h1"]), "issue agent");
  ok(await cairn(["certs", "issue", dir, "--operator", "ada", "--role", "admin"]), "issue admin");
  ok(await cairn(["certs", "issue", dir, "--operator", "vera", "--role", "viewer"]), "issue viewer");
  const tok = await cairn(["certs", "token", dir, "--name", "ci", "--role", "admin"]);
  ok(tok, "token");
  const token = tok.stdout.trim();
  assert.match(token, /^cairn_[A-Za-z0-9_-]{43}$/, "the token alone on stdout");
  assert.doesNotMatch(await readFile(join(dir, "tokens.yaml"), "utf8"), new RegExp(token), "stored only hashed");

  const list = JSON.parse((await cairn(["certs", "list", dir, "--json"])).stdout) as { certificates: { kind: string; name: string; role: string | null; status: string }[]; tokens: { name: string; role: string }[] };
  assert.deepEqual(
    list.certificates.map((c) => `${c.kind}:${c.name}:${c.role ?? "-"}:${c.status}`).filter((s) => !s.startsWith("ca:")),
    ["server:localhost:-:valid", "agent:h1:agent:valid", "operator:ada:admin:valid", "operator:vera:viewer:valid"],
  );
  assert.deepEqual(list.tokens.map((x) => `${x.name}:${x.role}`), ["ci:admin"]);
  const badRole = await cairn(["certs", "issue", dir, "--operator", "eve", "--role", "root"]);
  assert.equal(badRole.code, 2);
  assert.match(badRole.stderr, /"root" is not a role: expected viewer or admin/);

  const url = (await serveController(t, { tlsDir: dir })).urls[0]!;
  const adminConfig = join(work, "admin.yaml");
  const viewerConfig = join(work, "viewer.yaml");
  ok(await cairn(["certs", "config", dir, "--operator", "ada", "--controller", url, "--out", adminConfig]), "config admin");
  ok(await cairn(["certs", "config", dir, "--operator", "vera", "--controller", url, "--out", viewerConfig]), "config viewer");
  const tokenConfig = join(work, "token.yaml");
  await writeFile(tokenConfig, `controller: ${url}\nca: pki/ca.crt\ntoken: ${token}\n`, { mode: 0o600 });
  const nobodyConfig = join(work, "nobody.yaml");
  await writeFile(nobodyConfig, `controller: ${url}\nca: pki/ca.crt\n`);
  const intentsV2 = join(work, "v2.yaml");
  await writeFile(intentsV2, INTENTS_V2);
  await writeFile(join(work, "intents.yaml"), INTENTS_V1);

  // Admin by certificate, with --config before or after the command.
  const paths = await cairn(["--config", adminConfig, "get", "paths", "--json"]);
  ok(paths, "get paths");
  assert.equal((JSON.parse(paths.stdout) as { hosts: unknown[] }).hosts.length, 3);
  ok(await cairn(["apply", "-f", intentsV2, "--config", adminConfig]), "apply as admin");
  ok(await cairn(["get", "links"], { CAIRN_CONFIG: adminConfig }), "get links with CAIRN_CONFIG");
  const events = await cairn(["events", "--json"], { CAIRN_CONFIG: adminConfig });
  ok(events, "events");

  // A viewer reads but may not apply; --config wins over CAIRN_CONFIG.
  ok(await cairn(["get", "paths"], { CAIRN_CONFIG: viewerConfig }), "get paths as viewer");
  const denied = await cairn(["apply", "-f", intentsV2, "--dry-run"], { CAIRN_CONFIG: viewerConfig });
  ok(denied, "a viewer's dry run");
  const refused = await cairn(["apply", "-f", join(work, "intents.yaml")], { CAIRN_CONFIG: viewerConfig });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /ApplyIntents: viewer vera may not call it \(allowed: admin\)/);
  ok(await cairn(["--config", adminConfig, "apply", "-f", join(work, "intents.yaml")], { CAIRN_CONFIG: viewerConfig }), "--config over CAIRN_CONFIG");

  // The admin token; then nobody.
  ok(await cairn(["apply", "-f", intentsV2, "--config", tokenConfig]), "apply with the token");
  const anon = await cairn(["get", "paths", "--config", nobodyConfig]);
  assert.equal(anon.code, 1);
  assert.match(anon.stderr, /ListPaths: not authenticated: present a client certificate or a bearer token/);
  // Home's default config is read when nothing else is given.
  const home = join(work, "home");
  await mkdir(join(home, ".config", "cairn"), { recursive: true });
  await copyFile(join(dir, "ca.crt"), join(home, ".config", "cairn", "ca.crt"));
  await writeFile(join(home, ".config", "cairn", "config.yaml"), `controller: ${url}\nca: ca.crt\ntoken: ${token}\n`, { mode: 0o600 });
  ok(await cairn(["get", "paths"], {}, home), "~/.config/cairn/config.yaml");
  // --controller overrides the URL: here a port where nothing listens.
  const elsewhere = await cairn(["get", "paths", "--controller", "https://[::1]:1"], {}, home);
  assert.equal(elsewhere.code, 1);
  assert.match(elsewhere.stderr, /controller https:\/\/\[::1\]:1/);

  // Revoked while the controller runs: the next command is refused.
  ok(await cairn(["certs", "revoke", dir, "--token", "ci"]), "revoke");
  let last: Run | undefined;
  const until = Date.now() + 5_000;
  do last = await cairn(["get", "paths", "--config", tokenConfig]);
  while (last.code === 0 && Date.now() < until);
  assert.match(last.stderr, /bearer token refused: token is revoked/);

  // A broken config file: file:line:col, exit 2, nothing sent.
  await writeFile(join(work, "broken.yaml"), `controller: ${url}\ncert: pki/operators/ada.crt\nkey: pki/operators/vera.key\n`);
  const broken = await cairn(["get", "paths", "--config", join(work, "broken.yaml")]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /broken\.yaml:3:\d+: .*vera\.key is not the key of .*ada\.crt/);
  assert.doesNotMatch(broken.stderr, /\n\s+at /, "no stack trace");
});

test("cairn controller: refuses to start without --tls-dir or --insecure, and names a bad --tls-dir", async (t) => {
  const work = await scratchDir(t, "cairn-cli-ctl-");
  await writeFile(join(work, "topology.yaml"), TOPOLOGY_YAML);
  await writeFile(join(work, "intents.yaml"), INTENTS_V1);
  const base = ["controller", "--topology", join(work, "topology.yaml"), "--intents", join(work, "intents.yaml"), "--listen", "[::1]:0"];
  const none = await cairn(base);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /pass --tls-dir DIR .* or --insecure/);
  const missing = await cairn([...base, "--tls-dir", join(work, "nope")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--tls-dir .*nope: .*nope\/ca\.crt: no CA certificate/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
  const open = await cairn([...base, "--insecure", "--listen", "[fd00::1]:50051"]);
  assert.equal(open.code, 2);
  assert.match(open.stderr, /--insecure serves without authentication, so only on loopback/);
});

test("cairn certs takes a directory relative to where it runs", async (t) => {
  const work = await scratchDir(t, "cairn-relative-");
  ok(await cairn(["certs", "init", "pki"], {}, "/nonexistent", work), "init");
  ok(await cairn(["certs", "issue", "pki", "--agent", "h1"], {}, "/nonexistent", work), "issue");
  ok(await cairn(["certs", "revoke", "pki", "--agent", "h1"], {}, "/nonexistent", work), "revoke");
  const listed = await cairn(["certs", "list", "pki", "--json"], {}, "/nonexistent", work);
  ok(listed, "list");
  assert.match(listed.stdout, /"h1"/);
  assert.match(await readFile(join(work, "pki", "agents", "h1.crt"), "utf8"), /BEGIN CERTIFICATE/);
});
