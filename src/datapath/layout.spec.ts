// cairn.h is the source of truth: the TS layouts and constants must match the compiled BTF
// and the header's #defines.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as layout from "./layout.js";
import { LAYOUT, MAPS } from "./layout.js";
import { HOST_DATAPATH_MSD } from "../core/model.js";
import { MAX_PROBE_SIDS } from "../core/probes.js";

const HEADER = fileURLToPath(new URL("../../src/datapath/cairn.h", import.meta.url));
const OBJECT = fileURLToPath(new URL("../../src/datapath/egress.bpf.o", import.meta.url));

interface BtfMember {
  name: string;
  type_id: number;
  bits_offset: number;
}
interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: BtfMember[];
}

function dumpBtf(): BtfType[] | string {
  if (!existsSync(OBJECT)) return `${OBJECT} missing: run make -C src/datapath`;
  try {
    const out = execFileSync("bpftool", ["-j", "btf", "dump", "file", OBJECT], { encoding: "utf8" });
    return (JSON.parse(out) as { types: BtfType[] }).types;
  } catch (err) {
    return `bpftool btf dump failed: ${(err as Error).message}`;
  }
}

const btf = dumpBtf();
const skip = typeof btf === "string" ? btf : false;
const types = typeof btf === "string" ? [] : btf;
const byId = new Map(types.map((t) => [t.id, t]));

function type(id: number): BtfType {
  const t = byId.get(id);
  assert.ok(t, `BTF type ${id} missing`);
  return t;
}

function resolve(id: number): BtfType {
  let t = type(id);
  while (["TYPEDEF", "CONST", "VOLATILE"].includes(t.kind)) t = type(t.type_id!);
  return t;
}

function sizeOf(id: number): number {
  const t = resolve(id);
  if (t.kind === "ARRAY") return t.nr_elems! * sizeOf(t.type_id!);
  assert.ok(t.size !== undefined, `no size for BTF ${t.kind} ${t.name}`);
  return t.size;
}

function struct(name: string): BtfType {
  const t = types.find((x) => x.kind === "STRUCT" && x.name === name);
  assert.ok(t, `struct ${name} not in BTF`);
  return t;
}

function member(s: BtfType, name: string): BtfMember {
  const m = s.members!.find((x) => x.name === name);
  assert.ok(m, `${s.name}.${name} not in BTF`);
  return m;
}

describe("layout.ts matches cairn.h", { skip }, () => {
  // Only a packet carries this struct (no map or global does), so clang leaves it out of the BTF;
  // egress.spec.ts holds it to the program instead: a probe built from LAYOUT must be recognised.
  const PACKET_ONLY = ["cairn_probe_hdr"];
  for (const [name, want] of Object.entries(LAYOUT).filter(([n]) => !PACKET_ONLY.includes(n))) {
    test(`struct ${name}: size, member offsets, no implicit padding`, () => {
      const s = struct(name);
      const offsets = Object.fromEntries(s.members!.map((m) => [m.name, m.bits_offset / 8]));
      assert.equal(s.size, want.size);
      assert.deepEqual(offsets, want.members);
      const memberBytes = s.members!.reduce((n, m) => n + sizeOf(m.type_id), 0);
      assert.equal(memberBytes, s.size, "members must cover the struct exactly");
    });
  }

  test("array dimensions match the constants", () => {
    const segs = resolve(member(struct("cairn_path"), "segs").type_id);
    assert.equal(segs.nr_elems, layout.CAIRN_MAX_SIDS);
    assert.equal(sizeOf(segs.type_id!), 16);
    const slots = resolve(member(struct("cairn_rule_set"), "slots").type_id);
    assert.equal(slots.nr_elems, layout.CAIRN_MAX_RULES_PER_PREFIX);
    for (const [s, m] of [["cairn_lpm_key", "addr"], ["cairn_rule_slot", "src"], ["cairn_rule_state", "key"], ["cairn_config", "encap_src"], ["cairn_frag_key", "daddr"]]) {
      assert.equal(sizeOf(member(struct(s!), m!).type_id), 16, `${s}.${m}`);
    }
  });

  test("map definitions: max_entries, key and value sizes", () => {
    for (const [name, want] of Object.entries(MAPS)) {
      const v = types.find((t) => t.kind === "VAR" && t.name === name);
      assert.ok(v, `map ${name} not in BTF`);
      const def = resolve(v.type_id!);
      // libbpf's __uint(max_entries, N) is int (*)[N]; __type(key, T) is T *.
      const arrayLen = (m: string) => resolve(type(member(def, m).type_id).type_id!).nr_elems;
      assert.equal(arrayLen("max_entries"), want.maxEntries, `${name} max_entries`);
      assert.equal(sizeOf(type(member(def, "key").type_id).type_id!), want.keySize, `${name} key size`);
      assert.equal(sizeOf(type(member(def, "value").type_id).type_id!), want.valueSize, `${name} value size`);
    }
    const inObject = types.filter((t) => t.kind === "VAR" && t.name.startsWith("cairn_")).map((t) => t.name).sort();
    assert.deepEqual(inObject, Object.keys(MAPS).sort(), "every map of the object is described");
  });

  test("every numeric #define in cairn.h has the same value in layout.ts", () => {
    const defines = [...readFileSync(HEADER, "utf8").matchAll(/^#define\s+(CAIRN_\w+)\s+(0x[0-9a-fA-F]+|\d+)u?\b/gm)];
    assert.ok(defines.length >= 30, `found ${defines.length}`);
    const exported = layout as unknown as Record<string, unknown>;
    for (const [, name, value] of defines) assert.equal(exported[name!], Number(value), name);
  });

  test("the rule flags of cairn.h, NO_LIVENESS among them, are distinct bits in both languages", () => {
    const header = readFileSync(HEADER, "utf8");
    const flags = [...header.matchAll(/^#define\s+(CAIRN_RULE_\w+)\s+(\d+)\b/gm)].map(([, name, value]) => [name!, Number(value)] as const);
    assert.deepEqual(flags, [["CAIRN_RULE_CLOSED", 1], ["CAIRN_RULE_USE_BACKUP", 2], ["CAIRN_RULE_NO_LIVENESS", 4]]);
    assert.deepEqual([layout.CAIRN_RULE_CLOSED, layout.CAIRN_RULE_USE_BACKUP, layout.CAIRN_RULE_NO_LIVENESS], flags.map(([, v]) => v));
  });

  test("ruleCheck mixes like cairn_rule_check() (spot values; the program itself agrees in egress.spec.ts)", () => {
    assert.equal(layout.ruleCheck(0, 0, 0, 0), layout.ruleCheck(0, 0, 0, 0));
    assert.notEqual(layout.ruleCheck(1, 2, 3, 0), layout.ruleCheck(1, 2, 3, 1));
    assert.notEqual(layout.ruleCheck(1, 2, 3, 0), layout.ruleCheck(1, 3, 2, 0));
    assert.notEqual(layout.ruleCheck(1, 2, 3, 0), layout.ruleCheck(2, 2, 3, 0));
    const v = layout.ruleCheck(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff);
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
  });

  test("encoders and decoders round-trip", () => {
    const sids = [new Uint8Array(16).fill(1), new Uint8Array(16).fill(2)];
    const path = layout.decodePath(layout.encodePath(0x20005, { mode: layout.CAIRN_MODE_ENCAP, sids, probe: null }));
    assert.deepEqual(path, { ref: 0x20005, path: { mode: layout.CAIRN_MODE_ENCAP, sids, probe: null } });
    assert.deepEqual(layout.decodeProbePath(layout.encodeProbePath(7, sids)), { ref: 7, sids });
    assert.deepEqual(layout.decodeProbePath(layout.encodeProbePath(7, null)), { ref: 7, sids: null });
    const live = { ref: 9, lastSentNs: 1n, lastReturnNs: 2n, upSinceNs: 3n, firstUnansweredNs: 4n, thresholdUs: 30000, staleUs: 60000, holddownMs: 3000 };
    assert.deepEqual(layout.decodeLive(layout.encodeLive(live)), live);
    assert.deepEqual(layout.decodeProbeHeader(layout.encodeProbeHeader({ secret: 5, ref: 9, seq: 77, sentNs: 123n })), { secret: 5, ref: 9, seq: 77, sentNs: 123n });
    assert.deepEqual(layout.decodePath(layout.encodePath(0x20005, null)), { ref: 0x20005, path: null });
    const state = { primary: 0x10001, backup: 0x20002, flags: 3, key: new Uint8Array(16).fill(9) };
    assert.deepEqual(layout.decodeRuleState(layout.encodeRuleState(7, state)), { ...state, check: layout.ruleCheck(7, 0x10001, 0x20002, 3) });
    const cfg = { encapSource: new Uint8Array(16).fill(5), flags: 15, maxLevel: 3, levelMask: 0b1100, probePort: 864, probeSecret: 0xdeadbeef };
    assert.deepEqual(layout.decodeConfig(layout.encodeConfig(cfg)), cfg);
  });
});

test("the path engine's host msd is the SRH entries the datapath writes", () => {
  assert.equal(HOST_DATAPATH_MSD, layout.CAIRN_MAX_SIDS);
});

test("core's probe limit is the probe SIDs the datapath holds", () => {
  assert.equal(MAX_PROBE_SIDS, layout.CAIRN_MAX_PROBE_SIDS);
});
