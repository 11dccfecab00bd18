// retransmits.h is the source of truth for the ring: the TS layout and constants must match the
// compiled object's BTF and the header's #defines. The ring reader's bookkeeping runs on a fake ring.
// (The program reads the socket with CO-RE: retransmits.spec.ts checks what it reads on a real flow.)
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as retx from "./retransmit-layout.js";
import { RETX_LAYOUT, RETX_MAPS, RetxRingReader, encodeRetxEvent, type RetransmitEvent } from "./retransmit-layout.js";

const HEADER = fileURLToPath(new URL("../../src/datapath/retransmits.h", import.meta.url));
const OBJECT = fileURLToPath(new URL("../../src/datapath/retransmits.bpf.o", import.meta.url));

interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: { name: string; type_id: number; bits_offset: number }[];
}

function dumpBtf(): BtfType[] | string {
  if (!existsSync(OBJECT)) return `${OBJECT} missing: run make -C src/datapath`;
  try {
    return (JSON.parse(execFileSync("bpftool", ["-j", "btf", "dump", "file", OBJECT], { encoding: "utf8" })) as { types: BtfType[] }).types;
  } catch (err) {
    return `bpftool btf dump failed: ${(err as Error).message}`;
  }
}

const btf = dumpBtf();
const types = typeof btf === "string" ? [] : btf;
const byId = new Map(types.map((t) => [t.id, t]));

function resolve(id: number): BtfType {
  let t = byId.get(id)!;
  while (["TYPEDEF", "CONST", "VOLATILE"].includes(t.kind)) t = byId.get(t.type_id!)!;
  return t;
}

function sizeOf(id: number): number {
  const t = resolve(id);
  return t.kind === "ARRAY" ? t.nr_elems! * sizeOf(t.type_id!) : t.size!;
}

function struct(name: string): BtfType {
  const t = types.find((x) => x.kind === "STRUCT" && x.name === name);
  assert.ok(t, `struct ${name} not in BTF`);
  return t;
}

describe("retransmit-layout.ts matches retransmits.h and retransmits.bpf.o", { skip: typeof btf === "string" ? btf : false }, () => {
  for (const [name, want] of Object.entries(RETX_LAYOUT)) {
    test(`struct ${name}: size, member offsets, no implicit padding`, () => {
      const s = struct(name);
      assert.equal(s.size, want.size);
      assert.deepEqual(Object.fromEntries(s.members!.map((m) => [m.name, m.bits_offset / 8])), want.members);
      assert.equal(s.members!.reduce((n, m) => n + sizeOf(m.type_id), 0), s.size, "members must cover the struct exactly");
    });
  }

  test("map definitions: max_entries, key and value sizes; every map of the object is described", () => {
    for (const [name, want] of Object.entries(RETX_MAPS)) {
      const v = types.find((t) => t.kind === "VAR" && t.name === name);
      assert.ok(v, `map ${name} not in BTF`);
      const def = resolve(v.type_id!);
      const member = (m: string) => def.members!.find((x) => x.name === m)!;
      assert.equal(resolve(byId.get(member("max_entries").type_id)!.type_id!).nr_elems, want.maxEntries, `${name} max_entries`);
      assert.equal(sizeOf(byId.get(member("key").type_id)!.type_id!), want.keySize, `${name} key size`);
      assert.equal(sizeOf(byId.get(member("value").type_id)!.type_id!), want.valueSize, `${name} value size`);
    }
    assert.deepEqual(types.filter((t) => t.kind === "VAR" && t.name.startsWith("cairn_")).map((t) => t.name).sort(), Object.keys(RETX_MAPS).sort());
  });

  test("every numeric #define in retransmits.h has the same value in retransmit-layout.ts", () => {
    const defines = [...readFileSync(HEADER, "utf8").matchAll(/^#define\s+(CAIRN_\w+)\s+(0x[0-9a-fA-F]+|\d+)u?\b/gm)];
    assert.ok(defines.length >= 1);
    for (const [, name, value] of defines) assert.equal((retx as unknown as Record<string, unknown>)[name!], Number(value), name);
  });
});

const ev = (seq: bigint, dport = 80): RetransmitEvent => ({ seq, ns: 0n, family: retx.AF_INET6, sport: 1000, dport, state: 1, saddr: new Uint8Array(16), daddr: new Uint8Array(16).fill(1) });

/** A ring of `slots` the test appends to as the program does (seq written last unless told). */
function fakeRing(slots: number) {
  let head = 0n;
  const mem = Array.from({ length: slots }, () => encodeRetxEvent(ev(0n)));
  return {
    reader: new RetxRingReader(() => head, (i) => mem[i]!, slots),
    append(dport = 80, complete = true) {
      head++;
      mem[Number((head - 1n) % BigInt(slots))] = encodeRetxEvent(ev(complete ? head : 0n, dport));
      return head;
    },
    complete(seq: bigint, dport = 80) {
      mem[Number((seq - 1n) % BigInt(slots))] = encodeRetxEvent(ev(seq, dport));
    },
  };
}

test("ring reader: new events in order, once; skip forgets; a lapped ring counts what it lost", () => {
  const r = fakeRing(4);
  r.append(1);
  r.reader.skip();
  assert.deepEqual(r.reader.read(), { events: [], lost: 0 });
  r.append(2);
  r.append(3);
  assert.deepEqual(r.reader.read().events.map((e) => [e.seq, e.dport]), [[2n, 2], [3n, 3]]);
  assert.deepEqual(r.reader.read(), { events: [], lost: 0 });
  for (let p = 10; p < 16; p++) r.append(p); // 6 into 4 slots
  const lapped = r.reader.read();
  assert.deepEqual([lapped.events.map((e) => e.dport), lapped.lost], [[12, 13, 14, 15], 2]);
});

test("ring reader: a slot mid-write is read on the next poll; one that stays so is given up", () => {
  const r = fakeRing(8);
  r.reader.skip();
  r.append(1);
  const seq = r.append(2, false);
  r.append(3);
  assert.deepEqual(r.reader.read().events.map((e) => e.dport), [1], "stops before the slot being written");
  r.complete(seq, 2);
  assert.deepEqual(r.reader.read().events.map((e) => e.dport), [2, 3]);
  r.append(4, false);
  r.append(5);
  assert.deepEqual(r.reader.read().events.map((e) => e.dport), []);
  assert.deepEqual(r.reader.read().events.map((e) => e.dport), [5], "the stuck slot is skipped the second time");
});
