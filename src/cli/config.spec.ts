// The CLI config: where it is found, what it may hold, and its errors with file:line:col.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigFileError } from "../config/errors.js";
import { initAuthority, issueCertificate } from "../certs/authority.js";
import { scratchDir } from "../certs/testing.js";
import { findCliConfig, loadCliConfig } from "./config.js";

const TOKEN = `cairn_${"a".repeat(43)}`;

test("found at --config, else $CAIRN_CONFIG, else ~/.config/cairn, else the lab's, else nowhere", async (t) => {
  const d = await scratchDir(t);
  const home = join(d, "home");
  const user = join(home, ".config", "cairn", "config.yaml");
  const lab = join(d, "lab.yaml");
  const none = { env: {}, homeDir: home, labConfig: lab };
  assert.equal(await findCliConfig(none), null);
  await writeFile(lab, "controller: https://lab:1\n");
  assert.deepEqual(await findCliConfig(none), { path: lab, foundBy: "lab" });
  await mkdir(join(home, ".config", "cairn"), { recursive: true });
  await writeFile(user, "controller: https://user:1\n");
  assert.deepEqual(await findCliConfig(none), { path: user, foundBy: "user" });
  assert.deepEqual(await findCliConfig({ ...none, env: { XDG_CONFIG_HOME: join(d, "xdg") } }), { path: lab, foundBy: "lab" });
  assert.deepEqual(await findCliConfig({ ...none, env: { CAIRN_CONFIG: join(d, "env.yaml") } }), { path: join(d, "env.yaml"), foundBy: "CAIRN_CONFIG" });
  assert.deepEqual(await findCliConfig({ ...none, config: join(d, "flag.yaml"), env: { CAIRN_CONFIG: "x" } }), { path: join(d, "flag.yaml"), foundBy: "--config" });

  const c = await loadCliConfig(none);
  assert.equal(c.url, "https://user:1");
  assert.equal((await loadCliConfig({ ...none, controller: "https://other:2" })).url, "https://other:2", "--controller overrides the file");
  assert.equal((await loadCliConfig({ env: {}, homeDir: join(d, "nohome"), labConfig: null, defaultUrl: "http://[::1]:50051" })).url, "http://[::1]:50051");
  await assert.rejects(loadCliConfig({ env: {}, homeDir: join(d, "nohome"), labConfig: null }), /no controller URL: pass --controller URL, or write a config file/);
  await assert.rejects(loadCliConfig({ ...none, config: join(d, "missing.yaml") }), /missing\.yaml.*cannot read the CLI config \(from --config\): no such file/);
});

test("credentials: paths relative to the file, checked; a token inline or from a file", async (t) => {
  const d = await scratchDir(t);
  const pki = join(d, "pki");
  await initAuthority(pki);
  await issueCertificate(pki, { kind: "operator", name: "ada", role: "admin" });
  const file = join(d, "config.yaml");
  await writeFile(file, "controller: https://[::1]:50051\nca: pki/ca.crt\ncert: pki/operators/ada.crt\nkey: pki/operators/ada.key\n");
  const c = await loadCliConfig({ config: file, env: {} });
  assert.equal(c.url, "https://[::1]:50051");
  assert.match(c.credentials.ca ?? "", /BEGIN CERTIFICATE/);
  assert.match(c.credentials.cert ?? "", /BEGIN CERTIFICATE/);
  assert.match(c.credentials.key ?? "", /BEGIN PRIVATE KEY/);
  assert.deepEqual(c.warnings, []);
  await chmod(join(pki, "operators", "ada.key"), 0o644);
  assert.match((await loadCliConfig({ config: file, env: {} })).warnings.join(), /ada\.key \(a private key\) is accessible to other users \(mode 0644\)/);

  // The key of another certificate: located at the key line.
  await writeFile(file, "controller: https://[::1]:50051\ncert: pki/operators/ada.crt\nkey: pki/server.key\n");
  await assert.rejects(loadCliConfig({ config: file, env: {} }), (e: unknown) => e instanceof ConfigFileError && /config\.yaml:3:\d+/.test(e.message) && /server\.key is not the key of/.test(e.message));
  await writeFile(file, "controller: https://[::1]:50051\nca: nowhere.crt\n");
  await assert.rejects(loadCliConfig({ config: file, env: {} }), (e: unknown) => e instanceof ConfigFileError && /config\.yaml:2:\d+/.test(e.message) && /cannot read CA certificate .*nowhere\.crt: no such file/.test(e.message));

  await writeFile(file, `controller: https://[::1]:50051\ntoken: ${TOKEN}\n`, { mode: 0o600 });
  assert.equal((await loadCliConfig({ config: file, env: {} })).credentials.token, TOKEN);
  await writeFile(join(d, "token"), `${TOKEN}\n`, { mode: 0o600 });
  await writeFile(file, "controller: http://127.0.0.1:50052\ntokenFile: token\n");
  const viaFile = await loadCliConfig({ config: file, env: {} });
  assert.deepEqual(viaFile.credentials, { token: TOKEN });
  await writeFile(file, "controller: http://10.0.0.1:50052\ntokenFile: token\n");
  await assert.rejects(loadCliConfig({ config: file, env: {} }), /cleartext http:\/\/ to a host that is not loopback: the token .* would cross the network in clear/);
});

test("a broken config file: every problem with file:line:col", async (t) => {
  const d = await scratchDir(t);
  const file = join(d, "config.yaml");
  const bad = async (text: string, re: RegExp) => {
    await writeFile(file, text);
    await assert.rejects(loadCliConfig({ config: file, env: {} }), (e: unknown) => e instanceof ConfigFileError && re.test(e.message), text);
  };
  await bad("controller: [unclosed\n", /config\.yaml:\d+:\d+: YAML syntax/);
  await bad("controller: https://x:1\nsever: https://y\n", /config\.yaml:2:1.*sever/);
  await bad("controller: ftp://x\n", /config\.yaml:1:\d+.*must start with https:\/\//);
  await bad("controller: https://x:1\ncert: a.crt\n", /config\.yaml:2:\d+.*cert needs key/);
  await bad("controller: https://x:1\ntoken: hunter2\n", /config\.yaml:2:\d+.*not a Cairn token/);
  await bad("controller: 5\n", /config\.yaml:1:\d+.*expected a string/);
  await bad("", /config\.yaml.*the file is empty/);
});
