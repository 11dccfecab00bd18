// The systemd units of packaging/systemd: systemd's own check, and that they agree with the CLI and
// with the env files they read. (They cannot be started here: PID 1 is not systemd.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageFile } from "../package-files.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const UNITS = ["cairn-controller.service", "cairn-agent.service"] as const;
const unitPath = (u: string) => packageFile("packaging", "systemd", u);

/** Key => values of a unit file's [Service] section (a key may repeat). */
function serviceSection(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1]!;
    else if (section === "Service") {
      const eq = line.indexOf("=");
      const key = line.slice(0, eq);
      out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
    }
  }
  return out;
}

const service = (u: string) => serviceSection(readFileSync(unitPath(u), "utf8"));
const one = (s: Map<string, string[]>, key: string) => s.get(key)?.join(" ");

const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
const noAnalyze = analyze.error ? "systemd-analyze is not installed (Debian package systemd; scripts/setup.sh installs it)" : false;

test("systemd-analyze verify finds nothing to say about the units", { skip: noAnalyze }, () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-units-"));
  try {
    for (const u of UNITS) copyFileSync(unitPath(u), join(dir, u));
    const r = spawnSync("systemd-analyze", ["verify", ...UNITS.map((u) => join(dir, u))], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [unit, command, envFile] of [["cairn-controller.service", "controller", "controller.env"], ["cairn-agent.service", "agent", "agent.env"]] as const) {
  test(`${unit} runs \`cairn ${command}\` with options it has and variables its env file sets`, () => {
    const s = service(unit);
    assert.equal(one(s, "EnvironmentFile"), `/etc/cairn/${envFile}`);
    const exec = one(s, "ExecStart")!;
    assert.match(exec, new RegExp(`^/usr/bin/env cairn ${command} `));
    const help = spawnSync(process.execPath, [CLI, command, "--help"], { encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    for (const [, flag] of exec.matchAll(/ (--[a-z-]+)/g)) assert.match(help.stdout, new RegExp(`${flag}\\b`), `cairn ${command} has no ${flag}`);
    const example = readFileSync(packageFile("packaging", envFile), "utf8");
    const defined = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    const used = [...exec.matchAll(/\$\{?([A-Z_]+)\}?/g)].map((m) => m[1]);
    assert.ok(used.length > 0);
    for (const v of used) assert.ok(defined.has(v), `${unit} uses $${v}, which packaging/${envFile} does not set`);
  });
}

test("the controller runs as the user cairn with no capability, on a read-only system, writing only its logs directory", () => {
  const s = service("cairn-controller.service");
  assert.equal(one(s, "User"), "cairn");
  assert.equal(one(s, "CapabilityBoundingSet"), "");
  assert.equal(one(s, "ProtectSystem"), "strict");
  assert.equal(one(s, "LogsDirectory"), "cairn");
  assert.match(one(s, "ExecStart")!, / --audit-log \/var\/log\/cairn\//);
});

test("the agent keeps exactly the capabilities it uses, and the write access to /proc/sys and cgroups it needs", () => {
  const s = service("cairn-agent.service");
  assert.equal(s.get("User"), undefined, "the agent runs as root (bpffs and the cgroup tree are root's)");
  assert.deepEqual(one(s, "CapabilityBoundingSet")!.split(/\s+/).sort(), ["CAP_BPF", "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_PERFMON", "CAP_SYS_ADMIN"]);
  assert.match(one(s, "SystemCallFilter")!, /\bbpf\b/);
  // seg6_enabled is written under /proc/sys/net, and `app` rules create cgroups.
  assert.equal(s.get("ProtectKernelTunables"), undefined);
  assert.equal(s.get("ProtectControlGroups"), undefined);
});

test("neither unit denies writable executable memory: V8 compiles to machine code at run time", () => {
  for (const u of UNITS) assert.equal(service(u).get("MemoryDenyWriteExecute"), undefined, u);
});
