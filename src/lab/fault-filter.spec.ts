import { test } from "node:test";
import assert from "node:assert/strict";
import { ETH_P_IP, ETH_P_IPV6, SKF_AD_RANDOM_OFFSET, TC_ACT_OK, TC_ACT_SHOT, dataDropProgram, dropThreshold, tcBytecode, type CbpfInsn } from "./fault-filter.js";

/**
 * A classic BPF interpreter for what the programs may use, written from the instruction set (not from
 * the generator): absolute loads, the random ancillary load, JEQ/JGT/JGE with constants, RET.
 */
function runCbpf(program: CbpfInsn[], frame: Buffer, random: number): number {
  let a = 0;
  for (let pc = 0, steps = 0; pc < program.length && steps < 100; steps++) {
    const i = program[pc]!;
    switch (i.code) {
      case 0x20: // ld [k]
        if (i.k === SKF_AD_RANDOM_OFFSET) a = random >>> 0;
        else if (i.k + 4 > frame.length) return 0;
        else a = frame.readUInt32BE(i.k);
        pc++;
        break;
      case 0x28: // ldh [k]
        if (i.k + 2 > frame.length) return 0; // the kernel ends the program with 0 on a short load
        a = frame.readUInt16BE(i.k);
        pc++;
        break;
      case 0x30: // ldb [k]
        if (i.k + 1 > frame.length) return 0;
        a = frame.readUInt8(i.k);
        pc++;
        break;
      case 0x15: // jeq #k
        pc += 1 + (a === i.k ? i.jt : i.jf);
        break;
      case 0x25: // jgt #k
        pc += 1 + (a >>> 0 > i.k >>> 0 ? i.jt : i.jf);
        break;
      case 0x35: // jge #k
        pc += 1 + (a >>> 0 >= i.k >>> 0 ? i.jt : i.jf);
        break;
      case 0x06: // ret #k
        return i.k;
      default:
        throw new Error(`unexpected opcode ${i.code}`);
    }
  }
  throw new Error("ran off the end of the program");
}

function frame(etherTypeOrLength: number): Buffer {
  const f = Buffer.alloc(64);
  f.writeUInt16BE(etherTypeOrLength, 12);
  return f;
}

/** An IPv6 frame carrying `nextHeader`; for ICMPv6, a message of `icmpType`. */
function ipv6(nextHeader: number, icmpType = 0): Buffer {
  const f = frame(ETH_P_IPV6);
  f.writeUInt8(nextHeader, 14 + 6);
  f.writeUInt8(icmpType, 14 + 40);
  return f;
}
const UDP6 = ipv6(17);
const SRH = ipv6(43);
const ECHO = ipv6(58, 128);
const NEIGHBOUR_DISCOVERY = [133, 134, 135, 136, 137].map((t) => ipv6(58, t));

const ISIS_HELLO = frame(1497); // 802.3: a length, then the LLC header (fe fe 03)
ISIS_HELLO.writeUInt8(0xfe, 14);
const ARP = frame(0x0806);

test("a full drop drops IPv6 (SRv6, UDP, ICMPv6 echo) and IPv4 and passes IS-IS (802.2 LLC), ARP and neighbour discovery", () => {
  const p = dataDropProgram(100);
  for (const r of [0, 1, 0x7fffffff, 0xffffffff]) {
    for (const data of [UDP6, SRH, ECHO, ipv6(58, 1), ipv6(58, 132), ipv6(58, 138), frame(ETH_P_IP)]) assert.equal(runCbpf(p, data, r), TC_ACT_SHOT);
    for (const control of [ISIS_HELLO, ARP, ...NEIGHBOUR_DISCOVERY]) assert.equal(runCbpf(p, control, r), TC_ACT_OK);
  }
});

test("a partial drop drops a data frame exactly when the random number is below percent of 2^32", () => {
  const p = dataDropProgram(30);
  const t = dropThreshold(30);
  assert.equal(t, Math.round(0.3 * 2 ** 32));
  assert.equal(runCbpf(p, SRH, t - 1), TC_ACT_SHOT);
  assert.equal(runCbpf(p, SRH, t), TC_ACT_OK);
  assert.equal(runCbpf(p, NEIGHBOUR_DISCOVERY[2]!, 0), TC_ACT_OK, "neighbour discovery is never dropped");
  assert.equal(runCbpf(p, frame(ETH_P_IP), 0), TC_ACT_SHOT);
  assert.equal(runCbpf(p, frame(ETH_P_IP), 0xffffffff), TC_ACT_OK);
  assert.equal(runCbpf(p, ISIS_HELLO, 0), TC_ACT_OK, "IS-IS is never dropped");
  // Over evenly spread random numbers the dropped share is the percentage.
  for (const percent of [0.5, 10, 30, 99.5]) {
    const prog = dataDropProgram(percent);
    const n = 100_000;
    let dropped = 0;
    for (let i = 0; i < n; i++) if (runCbpf(prog, UDP6, Math.floor(((i + 0.5) / n) * 2 ** 32)) === TC_ACT_SHOT) dropped++;
    assert.ok(Math.abs(dropped / n - percent / 100) < 0.001, `${percent}%: dropped ${dropped} of ${n}`);
  }
});

test("thresholds stay inside u32 and percentages outside (0, 100] are refused", () => {
  assert.equal(dropThreshold(1e-12), 1);
  assert.equal(dropThreshold(99.9999999999), 0xffffffff);
  for (const bad of [0, -1, 100.5, Number.NaN]) assert.throws(() => dataDropProgram(bad), RangeError);
  assert.throws(() => dropThreshold(100), RangeError);
});

test("tc bytecode: the count, then code jt jf k per instruction, k unsigned", () => {
  assert.equal(tcBytecode(dataDropProgram(100)), "10,40 0 0 12,21 1 0 34525,21 6 5 2048,48 0 0 20,21 0 4 58,48 0 0 54,53 0 2 133,37 1 0 137,6 0 0 0,6 0 0 2");
  assert.match(tcBytecode(dataDropProgram(50)), /^13,.*,6 0 0 0,32 0 0 4294963256,53 1 0 2147483648,6 0 0 2,6 0 0 0$/);
});
