import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigFileError, formatConfigError } from "./errors.js";
import { loadIntents, loadTopology } from "./load.js";
import { decodeText, firstInvalidUtf8, readTextFile } from "./text-file.js";

const text = "routers: []\n# é ☃ 𝄞\n";

function utf16(s: string, order: "le" | "be"): Buffer {
  const le = Buffer.from(s, "utf16le");
  if (order === "be") le.swap16();
  return Buffer.concat([Buffer.from(order === "le" ? [0xff, 0xfe] : [0xfe, 0xff]), le]);
}

function reason(bytes: Uint8Array): string {
  const r = decodeText(bytes, "f.yaml");
  assert.equal(r.ok, false);
  return r.ok ? "" : r.errors.map(formatConfigError).join("\n");
}

test("UTF-8 with or without a BOM, UTF-16 LE and BE with one: the same text", () => {
  for (const bytes of [Buffer.from(text), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), utf16(text, "le"), utf16(text, "be")]) {
    assert.deepEqual(decodeText(bytes, "f.yaml"), { ok: true, value: text });
  }
  assert.deepEqual(decodeText(new Uint8Array(), "f.yaml"), { ok: true, value: "" });
});

test("other encodings are named, with where the text goes wrong", () => {
  assert.equal(reason(Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0])), "f.yaml: the file is UTF-32 (it starts with a UTF-32 byte order mark); save it as UTF-8");
  assert.match(reason(Buffer.from("routers: []\n", "utf16le")), /^f\.yaml: the file looks like UTF-16 without a byte order mark/);
  assert.equal(reason(Buffer.concat([Buffer.from("a: 1\nname: caf"), Buffer.from([0xe9]), Buffer.from("\n")])), "f.yaml:2:10: the file is not UTF-8 text: byte 0xe9 cannot start or continue a character here; save it as UTF-8");
  assert.match(reason(Buffer.from([0xff, 0xfe, 0x61])), /UTF-16LE \(byte order mark\) but has an odd number of bytes/);
  assert.match(reason(Buffer.from([0xfe, 0xff, 0xd8, 0x00, 0x00, 0x61])), /UTF-16BE \(byte order mark\) but holds an unpaired surrogate/);
});

test("firstInvalidUtf8 agrees with a strict decoder", () => {
  const cases = [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xf0, 0x9f, 0x98, 0x80], [0x61, 0xc3, 0xa9]];
  for (const c of cases) {
    const b = Uint8Array.from(c);
    let strict = true;
    try { new TextDecoder("utf-8", { fatal: true }).decode(b); } catch { strict = false; }
    assert.equal(firstInvalidUtf8(b) === -1, strict, c.map((x) => x.toString(16)).join(" "));
  }
});

test("the loaders read UTF-16 files and refuse others as ConfigFileError", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "cairn-text-"));
  const topo = path.join(dir, "t.yaml");
  writeFileSync(topo, utf16('routers:\n  - { name: r1, locator: "fc00:0:1::/48" }\n  - { name: r2, locator: "fc00:0:2::/48" }\nhosts:\n  - { name: h1, router: r1, address: "2001:db8:1::10/64" }\n  - { name: h2, router: r2, address: "2001:db8:2::10/64" }\nlinks:\n  - { a: r1, b: r2 }\n', "be"));
  const t = await loadTopology(topo);
  assert.equal(t.routers.length, 2);
  const i = path.join(dir, "i.yaml");
  writeFileSync(i, utf16("intents:\n  - { name: a, match: { hosts: [h1], to: h9 } }\n", "le"));
  await assert.rejects(loadIntents(i, t), (e: unknown) => e instanceof ConfigFileError && e.message.startsWith(`${i}:2:42: intents[0].match.to: unknown host "h9"`));
  writeFileSync(i, Buffer.from([0x69, 0x3a, 0xff]));
  await assert.rejects(loadIntents(i, t), (e: unknown) => e instanceof ConfigFileError && /not UTF-8 text: byte 0xff/.test(e.message));
  await assert.rejects(readTextFile(dir), (e: unknown) => e instanceof ConfigFileError && /cannot read file: it is a directory/.test(e.message));
});
