// End to end: `lab exec` in nested cgroups and as other users; lab down removes exactly the cgroups it created.
// Needs root and FRR (Debian's frr package).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { cgroup2Mount } from "./cgroups.js";
import { labExecArgv, labExecCapture } from "./exec.js";
import { labDown, labUp } from "./lab.js";
import { processAlive } from "./procs.js";
import { readState } from "./state.js";
import { labSpecSkip, squareTopology } from "./testing.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const cli = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 30_000 });

/** Top-level cgroups of this spec: unlikely names, checked absent before it starts. */
const SLICE = "/cairn-exec-spec.slice";
const FOREIGN = "/cairn-exec-spec-foreign.slice";
const dir = (path: string) => join(cgroup2Mount(), path);
const unifiedCgroup = (procSelfCgroup: string) => /^0::(.*)$/m.exec(procSelfCgroup)?.[1];

/** Removes test cgroups left by a failed run, deepest first (they hold no processes). */
function removeTestCgroups(): void {
  for (const path of [`${SLICE}/video.service/foreign`, `${SLICE}/video.service/worker`, `${SLICE}/video.service`, SLICE, `${FOREIGN}/mine`, FOREIGN]) {
    try {
      rmdirSync(dir(path));
    } catch {
      /* absent */
    }
  }
}

const skip = labSpecSkip() || (existsSync(dir(SLICE)) || existsSync(dir(FOREIGN)) ? `${SLICE} or ${FOREIGN} exists already; not touching it` : false);

describe("lab exec: cgroups and users", { skip, concurrency: false }, () => {
  before(async () => {
    await labUp(squareTopology());
  });

  after(async () => {
    await labDown().catch(() => undefined);
    removeTestCgroups();
  });

  test("--cgroup creates the path and its missing ancestors, records each one, and runs the command in it", async () => {
    const path = `${SLICE}/video.service/worker`;
    const r = await labExecCapture("h1", { cgroup: path, command: ["cat", "/proc/self/cgroup"] });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(unifiedCgroup(r.stdout), path);
    assert.deepEqual(readState()!.cgroups.filter((d) => d.startsWith(dir(SLICE))), [dir(SLICE), dir(`${SLICE}/video.service`), dir(path)]);
    // Again, and one level up: nothing new to create or record.
    const up = await labExecCapture("h2", { cgroup: `${SLICE}/video.service`, command: ["cat", "/proc/self/cgroup"] });
    assert.equal(unifiedCgroup(up.stdout), `${SLICE}/video.service`);
    assert.equal(readState()!.cgroups.filter((d) => d.startsWith(dir(SLICE))).length, 3);
  });

  test("a cgroup that existed before is used but not recorded", async () => {
    mkdirSync(dir(FOREIGN));
    const r = await labExecCapture("h1", { cgroup: `${FOREIGN}/mine`, command: ["cat", "/proc/self/cgroup"] });
    assert.equal(unifiedCgroup(r.stdout), `${FOREIGN}/mine`);
    const recorded = readState()!.cgroups;
    assert.ok(recorded.includes(dir(`${FOREIGN}/mine`)));
    assert.ok(!recorded.includes(dir(FOREIGN)));
  });

  test("bad cgroup paths, an app with a cgroup, and unknown users are refused before anything is created", async () => {
    const before = readState()!.cgroups.length;
    await assert.rejects(labExecCapture("h1", { cgroup: `${SLICE}/../escape`, command: ["true"] }), /cgroup path ".*" may not contain "\.\."/);
    await assert.rejects(labExecCapture("h1", { cgroup: "relative/x", command: ["true"] }), /must be absolute/);
    await assert.rejects(labExecCapture("h1", { cgroup: `${SLICE}/new.service`, user: "no-such-user-here", command: ["true"] }), /no user "no-such-user-here" on this machine/);
    await assert.rejects(labExecCapture("h1", { app: "web", cgroup: `${SLICE}/x`, command: ["true"] }), /give an app or a cgroup, not both/);
    assert.equal(existsSync(dir(`${SLICE}/new.service`)), false);
    assert.equal(readState()!.cgroups.length, before);
  });

  test("--user runs the command as that user (name or uid) with its primary group, also inside a cgroup", async () => {
    const byName = await labExecCapture("h1", { user: "nobody", command: ["sh", "-c", "id -u; id -g"] });
    assert.equal(byName.code, 0, byName.stderr);
    const nobody = (await promisify(execFile)("getent", ["passwd", "nobody"])).stdout.split(":");
    assert.deepEqual(byName.stdout.trim().split("\n"), [nobody[2], nobody[3]]);
    const byUid = await labExecCapture("h1", { user: Number(nobody[2]), cgroup: `${SLICE}/video.service/worker`, command: ["sh", "-c", "id -un; cat /proc/self/cgroup"] });
    assert.equal(byUid.code, 0, byUid.stderr);
    assert.match(byUid.stdout, /^nobody$/m);
    assert.equal(unifiedCgroup(byUid.stdout), `${SLICE}/video.service/worker`);
  });

  test("cairn lab exec --cgroup --user, and its errors (exit 2)", async () => {
    const { stdout } = await cli("lab", "exec", "h2", "--cgroup", `${SLICE}/video.service/worker`, "--user", "nobody", "--", "sh", "-c", "id -un; cat /proc/self/cgroup");
    assert.match(stdout, /^nobody$/m);
    assert.equal(unifiedCgroup(stdout), `${SLICE}/video.service/worker`);
    const fails = (args: string[], why: RegExp) =>
      assert.rejects(cli("lab", "exec", "h2", ...args, "--", "true"), (e: { code?: number; stderr?: string }) => e.code === 2 && why.test(e.stderr ?? ""));
    await fails(["--cgroup", "a/b"], /cgroup path "a\/b" must be absolute/);
    await fails(["--user", "no-such-user-here"], /no user "no-such-user-here"/);
    await fails(["--app", "web", "--cgroup", "/a"], /cannot be used with option '--app/);
  });

  test("lab down stops processes in the cgroups it created and removes them deepest first, but never one it did not create", async () => {
    const argv = labExecArgv("h1", { cgroup: `${SLICE}/video.service/worker`, command: ["sleep", "600"] });
    const sleeper = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: "ignore" });
    sleeper.unref();
    for (let i = 0; i < 100 && !readFileSync(join(dir(`${SLICE}/video.service/worker`), "cgroup.procs"), "utf8").trim(); i++) await new Promise((r) => setTimeout(r, 20));
    // Someone else's cgroup inside one the lab created: the lab must leave both that and its parents.
    mkdirSync(dir(`${SLICE}/video.service/foreign`));
    await assert.rejects(labDown(), /cannot remove cgroup .*video\.service: it holds cgroups the lab did not create \(foreign\)/);
    assert.equal(processAlive(sleeper.pid!), false, "the process in the lab's cgroup was stopped");
    assert.equal(existsSync(dir(`${SLICE}/video.service/worker`)), false);
    assert.equal(existsSync(dir(`${FOREIGN}/mine`)), false, "the lab's own cgroup inside a foreign one is gone");
    assert.ok(existsSync(dir(FOREIGN)), "the foreign cgroup stays");
    assert.ok(existsSync(dir(`${SLICE}/video.service/foreign`)), "someone else's cgroup stays");
  });
});
