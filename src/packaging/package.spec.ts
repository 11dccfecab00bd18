// `npm pack`, then `npm install -g` of the tarball into a temporary prefix, then the installed `cairn`:
// what an operator does on a real host. The pack skips prepack (`npm run build`): scripts/test.sh has
// just built dist/ and the BPF objects, and rebuilding them under the running tests would race them.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { packageRoot } from "../package-files.js";

const ROOT = packageRoot();
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const scratch = mkdtempSync(join(tmpdir(), "cairn-package-"));
const prefix = join(scratch, "prefix");
const installed = join(prefix, "lib", "node_modules", "cairn");
const cairnBin = join(prefix, "bin", "cairn");
let packed: string[] = [];
let controller: ChildProcess | null = null;

/** The environment without npm's own variables (a parent `npm test` sets npm_config_prefix and the like). */
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_"))),
  HOME: scratch,
  ...extra,
});

function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? scratch, env: env(opts.env), encoding: "utf8", timeout: opts.timeoutMs ?? 60_000 });
  assert.ifError(r.error);
  return r;
}

const ok = (r: SpawnSyncReturns<string>, what: string) => assert.equal(r.status, 0, `${what} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);

before(() => {
  const p = run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], { cwd: ROOT, timeoutMs: 120_000 });
  ok(p, "npm pack");
  const [info] = JSON.parse(p.stdout) as { filename: string; files: { path: string }[] }[];
  packed = info!.files.map((f) => f.path);
  const i = run("npm", ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", join(scratch, info!.filename)], { timeoutMs: 300_000 });
  ok(i, "npm install -g");
});

after(() => {
  controller?.kill("SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
});

test("the tarball holds the CLI, the BPF objects, the systemd units and the examples, and no tests or sources", () => {
  for (const f of ["dist/cli/main.js", "dist/agent/main.js", "dist/controller/path-worker.js", "src/datapath/egress.bpf.o", "src/datapath/retransmits.bpf.o", "packaging/systemd/cairn-controller.service", "packaging/systemd/cairn-agent.service", "packaging/controller.env", "packaging/agent.env", "examples/demo/topology.yaml", "examples/two-hosts/topology.yaml", "README.md"]) {
    assert.ok(packed.includes(f), `${f} is not in the tarball`);
  }
  const unwanted = packed.filter((f) => /\.spec\.js$|(^|\/)testing\.js$|^dist\/(testing|e2e)\/|\.ts$|\.map$|\.c$|^node_modules\//.test(f));
  assert.deepEqual(unwanted, []);
});

test("every packed module imports only packed modules, Node's built-ins and runtime dependencies", () => {
  const builtins = new Set(builtinModules);
  const problems: string[] = [];
  let checked = 0;
  for (const file of packed.filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(join(installed, file), "utf8");
    for (const m of text.matchAll(/(?:(?<=[\s}])from\s*|\bimport\s*\(\s*)"([^"\s]+)"/g)) {
      const spec = m[1]!;
      checked++;
      if (spec.startsWith(".")) {
        const target = relative(installed, resolve(dirname(join(installed, file)), spec));
        if (!packed.includes(target)) problems.push(`${file} imports ${spec}, which is not packed`);
      } else if (!spec.startsWith("node:") && !builtins.has(spec)) {
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        if (!(name in pkg.dependencies)) problems.push(`${file} imports ${spec}, which is ${name in pkg.devDependencies ? "a devDependency" : "no dependency"}`);
      }
    }
  }
  assert.ok(checked > 500, `only ${checked} imports found: is the pattern still right?`);
  assert.deepEqual(problems, []);
});

test("the installed cairn runs: --version, --help, topology show and validate on installed examples", () => {
  const v = run(cairnBin, ["--version"]);
  ok(v, "cairn --version");
  assert.equal(v.stdout.trim(), pkg.version);
  const h = run(cairnBin, ["--help"]);
  ok(h, "cairn --help");
  for (const c of ["controller", "agent", "certs", "topology"]) assert.match(h.stdout, new RegExp(`^  ${c}\\b`, "m"));
  const t = run(cairnBin, ["topology", "show", join(installed, "examples", "demo", "topology.yaml")]);
  ok(t, "cairn topology show");
  assert.match(t.stdout, /7 routers, 2 hosts, 10 links/);
  const twoHosts = join(installed, "examples", "two-hosts");
  ok(run(cairnBin, ["validate", join(twoHosts, "topology.yaml"), join(twoHosts, "intents.yaml")]), "cairn validate examples/two-hosts");
});

test("the installed agent finds its BPF objects inside the installed package", () => {
  const script = `const d = await import(${JSON.stringify(join(installed, "dist", "datapath", "datapath.js"))}); const r = await import(${JSON.stringify(join(installed, "dist", "datapath", "retransmits.js"))}); console.log(JSON.stringify([d.DEFAULT_OBJECT_PATH, r.DEFAULT_RETX_OBJECT_PATH]));`;
  const r = run(process.execPath, ["--input-type=module", "-e", script]);
  ok(r, "importing the installed datapath");
  const paths = JSON.parse(r.stdout) as string[];
  assert.deepEqual(paths, [join(installed, "src", "datapath", "egress.bpf.o"), join(installed, "src", "datapath", "retransmits.bpf.o")]);
  for (const p of paths) assert.ok(existsSync(p), `${p} is missing`);
});

test("the installed controller serves an example, and the installed CLI reads its paths", async () => {
  const examples = join(installed, "examples", "demo");
  controller = spawn(cairnBin, ["controller", "--insecure", "--listen", "[::1]:0", "--topology", join(examples, "topology.yaml"), "--intents", join(examples, "intents.yaml")], { cwd: scratch, env: env(), stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  controller.stderr!.on("data", (d) => (stderr += d));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the controller did not say where it listens within 30 s; stderr: ${stderr}`)), 30_000);
    controller!.once("exit", (code) => reject(new Error(`the controller exited ${code}; stderr: ${stderr}`)));
    controller!.stdout!.on("data", (d) => {
      out += d;
      const m = /^listening on (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    });
  });
  const config = join(scratch, "config.yaml");
  writeFileSync(config, `controller: ${url}\n`);
  const r = run(cairnBin, ["get", "paths", "--json"], { env: { CAIRN_CONFIG: config } });
  ok(r, "cairn get paths");
  const view = JSON.parse(r.stdout) as { hosts: { host: string; rules: { intent: string }[] }[] };
  assert.deepEqual(view.hosts.map((h) => h.host).sort(), ["h1", "h2"]);
  assert.deepEqual(view.hosts.find((h) => h.host === "h1")!.rules.map((x) => x.intent).sort(), ["bulk", "video"]);
  controller.kill("SIGTERM");
  await new Promise((r2) => controller!.once("exit", r2));
  controller = null;
});
