// Validation and LPM-entry compilation; pure, no BPF needed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parsePrefix } from "../core/ipv6.js";
import { CAIRN_MAX_RULES_PER_PREFIX, LAYOUT, decodePath, decodeU32, encodeLpmKey } from "./layout.js";
import { compileRules, hex } from "./rules.js";
import type { DatapathRule } from "./types.js";

function rule(over: Partial<DatapathRule> & Pick<DatapathRule, "ruleId">): DatapathRule {
  return { cgroupId: 0n, prefix: "2001:db8::/32", protocol: 17, portFrom: 0, portTo: 65535, segments: ["fc00::1"], ...over };
}

/** Rule ids in the slots of the LPM entry for (cgroup, prefix). */
function slotIds(rules: DatapathRule[], cgroupId: bigint, prefix: string): number[] {
  const entry = compileRules(rules).lpm.get(hex(encodeLpmKey(cgroupId, parsePrefix(prefix)!)));
  assert.ok(entry, `no entry for ${cgroupId} ${prefix}`);
  const { members } = LAYOUT.cairn_rule_set;
  const count = decodeU32(entry.value.subarray(members.count));
  return Array.from({ length: count }, (_, i) =>
    decodeU32(entry.value.subarray(members.slots + i * LAYOUT.cairn_rule_slot.size)),
  );
}

describe("compileRules", () => {
  test("an entry lists its own rules, then covering prefixes of the same cgroup, by ruleId", () => {
    const rules = [
      rule({ ruleId: 9, prefix: "::/0" }),
      rule({ ruleId: 3, prefix: "2001:db8::/32" }),
      rule({ ruleId: 7, prefix: "2001:db8:1::/48" }),
      rule({ ruleId: 2, prefix: "2001:db8:1::/48" }),
      rule({ ruleId: 5, prefix: "2001:db8:2::/48" }),
      rule({ ruleId: 4, prefix: "2001:db8::/32", cgroupId: 42n }),
    ];
    assert.deepEqual(slotIds(rules, 0n, "2001:db8:1::/48"), [2, 7, 3, 9]);
    assert.deepEqual(slotIds(rules, 0n, "2001:db8:2::/48"), [5, 3, 9]);
    assert.deepEqual(slotIds(rules, 0n, "::/0"), [9]);
    assert.deepEqual(slotIds(rules, 42n, "2001:db8::/32"), [4]);
    assert.equal(compileRules(rules).lpm.size, 5);
  });

  test("host bits of a prefix are ignored", () => {
    const a = compileRules([rule({ ruleId: 1, prefix: "2001:db8::1/32" })]);
    const b = compileRules([rule({ ruleId: 1, prefix: "2001:db8::/32" })]);
    assert.deepEqual([...a.lpm.keys()], [...b.lpm.keys()]);
  });

  test("paths are stored in SRH order and decode back to travel order", () => {
    const { paths } = compileRules([rule({ ruleId: 1, segments: ["fc00::1", "fc00::2", "fc00::3"] })]);
    const value = paths.get(1)!;
    assert.equal(value[LAYOUT.cairn_path.members.segs + 15], 3, "segs[0] is the last SID");
    assert.deepEqual(decodePath(value).map((s) => s[15]), [1, 2, 3]);
  });

  const invalid: [string, DatapathRule[], RegExp][] = [
    ["ruleId 0", [rule({ ruleId: 0 })], /^rule #0: ruleId 0 must be an integer in 1\.\.1023$/],
    ["fractional ruleId", [rule({ ruleId: 1.5 })], /ruleId 1\.5/],
    ["duplicate ruleId", [rule({ ruleId: 4 }), rule({ ruleId: 4 })], /^rule 4: duplicate ruleId$/],
    ["bad prefix", [rule({ ruleId: 4, prefix: "2001:db8::" })], /^rule 4: prefix "2001:db8::"/],
    ["negative cgroup", [rule({ ruleId: 4, cgroupId: -1n })], /^rule 4: cgroupId -1/],
    ["protocol 256", [rule({ ruleId: 4, protocol: 256 })], /^rule 4: protocol 256/],
    ["reversed ports", [rule({ ruleId: 4, portFrom: 10, portTo: 9 })], /^rule 4: port range 10\.\.9/],
    ["ports on ICMPv6", [rule({ ruleId: 4, protocol: 58, portFrom: 1, portTo: 2 })], /^rule 4: a port range needs protocol/],
    ["too many segments", [rule({ ruleId: 4, segments: Array(9).fill("fc00::1") })], /^rule 4: needs 0\.\.8 segments, got 9$/],
    ["bad SID", [rule({ ruleId: 4, segments: ["fc00::1", "fc00::zz"] })], /^rule 4: segment "fc00::zz"/],
    [
      "too many covering rules",
      Array.from({ length: CAIRN_MAX_RULES_PER_PREFIX + 1 }, (_, i) => rule({ ruleId: i + 1, prefix: `2001:db8::/${32 + i}` })),
      /prefix 2001:db8::\/48 of cgroup 0 is covered by 17 rules/,
    ],
  ];
  for (const [name, rules, message] of invalid) {
    test(`rejects ${name}`, () => assert.throws(() => compileRules(rules), { message }));
  }
});
