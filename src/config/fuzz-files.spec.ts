// Fuzzing the file parsers: random and mutated intents files, topology files (mutations of the
// repository's examples) and GraphML (mutations of Topology Zoo files). Every input ends as a value
// or as located errors: never an exception, never a hang, every error once, escaped and cut.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { formatConfigError } from "./errors.js";
import type { ConfigError, ParseResult } from "./errors.js";
import { parseGraphml } from "./graphml.js";
import { parseIntents } from "./intents-file.js";
import { parseTopology } from "./topology-file.js";
import { decodeText } from "./text-file.js";
import { findRepoRoot, zoo } from "./zoo-data.js";
import type { Topology } from "../core/model.js";
import { fuzzRuns, fuzzSync } from "../testing/fuzz.js";
import { mutatedBytes, mutatedText, randomYaml } from "../testing/fuzz-arbitraries.js";

const root = findRepoRoot();
const examples = path.join(root, "examples");
const exampleFiles = readdirSync(examples).flatMap((d) => readdirSync(path.join(examples, d)).filter((f) => f.endsWith(".yaml")).map((f) => path.join(examples, d, f)));
const topologyFiles = exampleFiles.filter((f) => path.basename(f) === "topology.yaml");
const intentsFiles = exampleFiles.filter((f) => path.basename(f).startsWith("intents"));
const read = (f: string) => readFileSync(f, "utf8");

const topologies: Topology[] = topologyFiles.map((f) => {
  const r = parseTopology(read(f), f);
  assert.ok(r.ok);
  return r.value;
});
/** Each intents file with the topology of its directory. */
const intentsCases = intentsFiles.map((f) => ({ text: read(f), topology: topologies[topologyFiles.indexOf(path.join(path.dirname(f), "topology.yaml"))]! }));

const INTENT_KEYS = ["intents", "name", "match", "hosts", "to", "app", "cgroup", "user", "source", "protocol", "ports", "objective", "constraints", "maxLatency", "avoidNodes", "avoidLinks", "via", "protection", "msd", "onFailure", "liveliness", "probes", "h1", "h2", "r1", "r2"];
const TOPOLOGY_KEYS = ["routers", "hosts", "links", "services", "name", "locator", "region", "msd", "router", "address", "address4", "a", "b", "igp", "te", "delay", "jitter", "loss", "bandwidth", "utilization", "srlgs", "colors", "mtu", "instances", "node", "sid"];

/** Longest formatted error allowed: a message may quote a few values, each cut to 64 characters. */
const MAX_MESSAGE = 600;
/** Longest a parse of one fuzzed file may take. */
const MAX_PARSE_MS = 3000;

/** The properties every parse result must have, whatever the input. */
function checkResult<T>(r: ParseResult<T>, file: string, input: string): void {
  if (r.ok) return;
  assert.ok(r.errors.length > 0, "a failed parse names at least one error");
  const shown = r.errors.map(formatConfigError);
  assert.equal(new Set(shown).size, shown.length, `an error printed twice:\n${shown.join("\n")}`);
  r.errors.forEach((e: ConfigError, k) => {
    const s = shown[k]!;
    assert.equal(e.file, file);
    // Line 0 only for what concerns the whole file: its encoding, or how many more errors there were.
    if (e.line === 0) assert.match(e.reason, /^(… and \d+ more errors?|the file .*|cannot parse the XML: .*)$/, s);
    else assert.ok(e.line >= 1 && e.column >= 1 && e.line <= input.split("\n").length + 1, `position ${e.line}:${e.column}: ${s}`);
    assert.ok(s.length <= MAX_MESSAGE, `${s.length} characters: ${s.slice(0, 200)}…`);
    assert.doesNotMatch(s, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/, `a raw control character: ${JSON.stringify(s.slice(0, 200))}`);
    assert.doesNotMatch(s, /\bundefined\b|\[object Object\]|Maximum call stack|TypeError|RangeError|ReferenceError|^\s+at /, s);
  });
}

function timed<T>(f: () => T): T {
  const start = performance.now();
  const v = f();
  const ms = performance.now() - start;
  assert.ok(ms < MAX_PARSE_MS, `took ${Math.round(ms)} ms`);
  return v;
}

const intentsInput = fc.oneof(
  { arbitrary: fc.nat().chain((k) => mutatedText(intentsCases[k % intentsCases.length]!.text).map((text) => ({ text, k }))), weight: 3 },
  { arbitrary: fc.tuple(randomYaml(INTENT_KEYS), fc.nat()).map(([text, k]) => ({ text, k })), weight: 2 },
  { arbitrary: fc.tuple(randomYaml(INTENT_KEYS), fc.nat()).map(([t, k]) => ({ text: `intents:\n  - ${t}\n`, k })), weight: 1 },
);

test("fuzz: intents files, random and mutated examples", (t) => {
  fuzzSync(t, intentsInput, fuzzRuns(400, 1), ({ text, k }) => {
    const r = timed(() => parseIntents(text, "fuzz/intents.yaml", intentsCases[k % intentsCases.length]!.topology));
    checkResult(r, "fuzz/intents.yaml", text);
  });
});

const topologyInput = fc.oneof(
  { arbitrary: fc.nat().chain((k) => mutatedText(read(topologyFiles[k % topologyFiles.length]!))), weight: 3 },
  { arbitrary: randomYaml(TOPOLOGY_KEYS), weight: 2 },
  { arbitrary: randomYaml(TOPOLOGY_KEYS).map((t) => `routers:\n  - ${t}\nhosts: []\nlinks: []\n`), weight: 1 },
);

test("fuzz: topology files, random and mutated examples", (t) => {
  fuzzSync(t, topologyInput, fuzzRuns(400, 1), (text) => {
    const r = timed(() => parseTopology(text, "fuzz/topology.yaml"));
    checkResult(r, "fuzz/topology.yaml", text);
  });
});

/** Small zoo files (the mutations cost a parse each) of several shapes. */
const ZOO = ["Abilene.graphml", "Aarnet.graphml", "Arpanet196912.graphml", "Renam.graphml", "Napnet.graphml"].map((f) => zoo(f));

test("fuzz: GraphML, mutated Topology Zoo files", (t) => {
  const input = fc.nat().chain((k) => mutatedText(ZOO[k % ZOO.length]!));
  fuzzSync(t, input, fuzzRuns(300, 0.75), (text) => {
    const r = timed(() => parseGraphml(text, "fuzz.graphml"));
    checkResult(r, "fuzz.graphml", text);
  });
});

test("fuzz: file bytes, as the loaders decode them before parsing", (t) => {
  const bases = [...intentsCases.map((c) => c.text), read(topologyFiles[0]!)].flatMap((s) => [
    Buffer.from(s),
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, "utf16le")]),
    Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, "utf16le").swap16()]),
  ]);
  const input = fc.nat().chain((k) => mutatedBytes(bases[k % bases.length]!, bases).map((bytes) => ({ bytes, k })));
  fuzzSync(t, input, fuzzRuns(300, 0.75), ({ bytes, k }) => {
    const decoded = decodeText(bytes, "fuzz/intents.yaml");
    checkResult(decoded, "fuzz/intents.yaml", Buffer.from(bytes).toString("latin1"));
    if (!decoded.ok) return;
    const r = timed(() => parseIntents(decoded.value, "fuzz/intents.yaml", intentsCases[k % intentsCases.length]?.topology ?? topologies[0]!));
    checkResult(r, "fuzz/intents.yaml", decoded.value);
  });
});
