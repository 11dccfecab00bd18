// Hostile and unusual files through the real command line: `cairn validate` (local) and
// `cairn apply --dry-run -f` (against an in-process open controller). Each refusal is exit status 2,
// one located line per problem, escaped, with no stack trace; UTF-16 and BOM files are read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startController } from "../controller/server.js";
import { collectingLog, INTENTS_V1, TOPOLOGY_YAML, testIntents, testTopology } from "../controller/testing.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "cairn-yaml-cli-"));

interface Run { code: number; stdout: string; stderr: string }

function cairn(...args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env["CAIRN_DEBUG"];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { env, timeout: 20_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function utf16(s: string, order: "le" | "be"): Buffer {
  const b = Buffer.from(s, "utf16le");
  if (order === "be") b.swap16();
  return Buffer.concat([Buffer.from(order === "le" ? [0xff, 0xfe] : [0xfe, 0xff]), b]);
}

/** A refusal as the user sees it: status 2, nothing on stdout, located lines, no stack, no raw control bytes. */
function refused(r: Run, lines: RegExp[]): void {
  assert.equal(r.code, 2, `exit ${r.code}\n${r.stderr}`);
  assert.equal(r.stdout, "");
  const out = r.stderr.trimEnd().split("\n");
  assert.equal(out[0], "cairn: invalid input:");
  assert.equal(out.length - 1, lines.length, r.stderr);
  lines.forEach((re, k) => assert.match(out[k + 1]!, re));
  assert.doesNotMatch(r.stderr, /^\s+at |Maximum call stack|TypeError|RangeError|undefined|\[object Object\]/m);
  assert.doesNotMatch(r.stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
}

const topo = file("topology.yaml", TOPOLOGY_YAML);
const deep = `intents: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`;
const hostile = `intents:\n  - name: "a\\e[2J${"x".repeat(3000)}"\n    match: { hosts: ["h\\u0000"], to: h2 }\n`;
const aliased = "intents:\n  - &w { name: web, match: { hosts: [h1], to: h2 } }\n  - { <<: *w, name: web2 }\n";

test("cairn validate: aliases, BOMs and UTF-16 read; deep nesting, control characters, other encodings refused clearly", async () => {
  const ok = async (f: string, n: number) => {
    const r = await cairn("validate", topo, f);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`: ok \\(${n} intents\\)`));
  };
  await ok(file("aliased.yaml", aliased), 2);
  await ok(file("bom.yaml", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(INTENTS_V1)])), 3);
  await ok(file("le.yaml", utf16(INTENTS_V1, "le")), 3);
  await ok(file("be.yaml", utf16(INTENTS_V1, "be")), 3);
  const t16 = file("topology16.yaml", utf16(TOPOLOGY_YAML, "be"));
  assert.equal((await cairn("validate", t16)).code, 0);

  refused(await cairn("validate", topo, file("deep.yaml", deep)), [/deep\.yaml:1:\d+: YAML nesting too deep: lists and mappings nested more than 64 levels$/]);
  refused(await cairn("validate", file("deep-topology.yaml", `routers:\n${Array.from({ length: 500 }, (_, k) => `${" ".repeat(2 * k)}- `).join("\n")}x\n`)), [/deep-topology\.yaml:\d+:\d+: YAML nesting too deep/]);
  refused(await cairn("validate", topo, file("hostile.yaml", hostile)), [
    /hostile\.yaml:2:11: intents\[0\]\.name: "a\\u001b\[2Jx{54}…" is not a valid intent name/,
    /hostile\.yaml:3:22: intents\[0\]\.match\.hosts\[0\]: unknown host "h\\u0000"; did you mean "h1", "h2" or "h3"\?$/,
  ]);
  const bomb = await cairn("validate", topo, file("bomb.yaml", `h: &h [${Array(3000).fill("h1").join(",")}]\ni: &i { name: a, match: { hosts: *h, to: h2 } }\nintents: [${Array(3000).fill("*i").join(",")}]\n`));
  const lines = bomb.stderr.trimEnd().split("\n");
  refused(bomb, lines.slice(1).map(() => /^  \S*bomb\.yaml:\d+:\d+: /));
  assert.match(lines.at(-1)!, /: aliases repeat parts of this file too many times \(more than 10 reads per value written\): write the values out instead$/);
  refused(await cairn("validate", topo, file("latin1.yaml", Buffer.concat([Buffer.from("intents:\n  - name: caf"), Buffer.from([0xe9]), Buffer.from("\n")]))), [
    /latin1\.yaml:2:14: the file is not UTF-8 text: byte 0xe9 cannot start or continue a character here; save it as UTF-8$/,
  ]);
  refused(await cairn("validate", topo, file("nobom16.yaml", Buffer.from(INTENTS_V1, "utf16le"))), [/nobom16\.yaml: the file looks like UTF-16 without a byte order mark/]);
  refused(await cairn("validate", topo, file("syntax.yaml", "intents:\n  - name: a\n   bad: [\n")), [/syntax\.yaml:3:1: YAML syntax: /, /syntax\.yaml:4:1: YAML syntax: /]);
});

test("cairn apply --dry-run -f: the same problems, refused before anything is sent", async () => {
  const topology = testTopology();
  const logs = collectingLog("controller");
  const c = await startController({ topology, intents: testIntents(topology), intentsFile: "intents.yaml", listen: [{ host: "127.0.0.1", port: 0 }], log: logs.log });
  try {
    const url = c.urls[0]!;
    const dry = (f: string) => cairn("apply", "--dry-run", "--controller", url, "-f", f);
    for (const [name, content] of [["be.yaml", utf16(INTENTS_V1, "be")], ["bom.yaml", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(INTENTS_V1)])]] as const) {
      const r = await dry(file(name, content));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /no change|unchanged|0 (added|changed)/i, r.stdout);
    }
    const a = await dry(file("aliased.yaml", aliased));
    assert.equal(a.code, 0, a.stderr);
    refused(await dry(file("deep.yaml", deep)), [/deep\.yaml:1:\d+: YAML nesting too deep/]);
    refused(await dry(file("hostile.yaml", hostile)), [/intents\[0\]\.name: "a\\u001b\[2Jx{54}…"/, /unknown host "h\\u0000"; did you mean "h1", "h2" or "h3"\?$/]);
    refused(await dry(file("latin1.yaml", Buffer.from([0x69, 0x3a, 0x20, 0xff, 0x0a]))), [/latin1\.yaml:1:4: the file is not UTF-8 text: byte 0xff/]);
    assert.ok(!logs.lines.some((l) => /ValidateIntents|applied/.test(l) && /hostile|deep|latin1/.test(l)), "nothing reached the controller");
    assert.deepEqual(readFileSync(topo, "utf8"), TOPOLOGY_YAML);
  } finally {
    await c.close();
  }
});
