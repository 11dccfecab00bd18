import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseTopology } from "./topology-file.js";
import { parseIntents } from "./intents-file.js";
import { formatConfigError } from "./errors.js";

const read = (f: string) => readFileSync(new URL(`../../examples/demo/${f}`, import.meta.url), "utf8");
const topo = (() => {
  const r = parseTopology(read("topology.yaml"), "topology.yaml");
  assert.ok(r.ok);
  return r.value;
})();

function errorsOf(text: string): string[] {
  const r = parseIntents(text, "i.yaml", topo);
  assert.equal(r.ok, false, "expected validation errors");
  return r.ok ? [] : r.errors.map(formatConfigError);
}

test("parses the demo intents", () => {
  const r = parseIntents(read("intents.yaml"), "intents.yaml", topo);
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  assert.deepEqual(r.value[0], {
    name: "video",
    match: { hosts: ["h1"], app: "video", to: { host: "h2" }, protocol: "udp", ports: [{ from: 5000, to: 5100 }] },
    objective: "latency",
    constraints: { maxLatencyUs: 20000, avoidNodes: [], avoidLinks: [] },
  });
  assert.deepEqual(r.value[1]!.constraints.avoidNodes, ["r2", "r3", "r7"]);
});

test("prefix destinations, single ports, reversed link names and the default objective", () => {
  const r = parseIntents(
    'intents:\n  - name: web\n    match: { hosts: [h1], to: "2001:db8:2::/64", protocol: tcp, ports: [443, "8000-8080"] }\n    constraints: { avoidLinks: [r2-r1] }\n',
    "i.yaml",
    topo,
  );
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatConfigError).join("\n"));
  const i = r.value[0]!;
  assert.deepEqual(i.match.to, { prefix: "2001:db8:2::/64" });
  assert.deepEqual(i.match.ports, [{ from: 443, to: 443 }, { from: 8000, to: 8080 }]);
  assert.deepEqual(i.constraints.avoidLinks, ["r1-r2"]);
  assert.equal(i.objective, "latency");
});

test("every error names file, line, column, field and reason", () => {
  const errs = errorsOf(
    [
      "intents:",
      "  - name: video",
      "    match: { hosts: [h1, h9], to: r4, ports: [\"99999\"], colour: red }",
      "    objective: fastest",
      "    constraints: { maxLatency: 20 ms, avoidNodes: [r5, h2], avoidLinks: [r1-r4, r1r2] }",
      "  - name: video",
      "    match: { hosts: [h1], to: 2001:db8:zz::/64, protocol: sctp }",
      "    constraints: { maxLatency: 20 }",
      "",
    ].join("\n"),
  );
  assert.deepEqual(errs, [
    'i.yaml:3:57: intents[0].match.colour: unknown key "colour"; expected one of hosts, app, to, protocol, ports',
    'i.yaml:3:26: intents[0].match.hosts[1]: unknown host "h9"',
    'i.yaml:3:35: intents[0].match.to: "r4" is a router; use a host name or an IPv6 prefix',
    'i.yaml:3:47: intents[0].match.ports[0]: "99999" is not a port or port range (e.g. 443 or "5000-5100", ports 0-65535)',
    'i.yaml:4:16: intents[0].objective: unknown objective "fastest"; use one of latency, igp, hops',
    'i.yaml:5:56: intents[0].constraints.avoidNodes[1]: "h2" is a host; avoidNodes takes routers',
    'i.yaml:5:74: intents[0].constraints.avoidLinks[0]: no link "r1-r4" in the topology',
    'i.yaml:5:81: intents[0].constraints.avoidLinks[1]: "r1r2" is not a link; write it as a-b, e.g. r1-r2',
    'i.yaml:6:11: intents[1].name: duplicate intent name "video" (first at line 2)',
    'i.yaml:7:31: intents[1].match.to: "2001:db8:zz::/64" is neither a host nor an IPv6 prefix',
    'i.yaml:7:59: intents[1].match.protocol: unknown protocol "sctp"; use one of tcp, udp, icmpv6',
    'i.yaml:8:32: intents[1].constraints.maxLatency: "20" is not a duration: write a number and a unit (us, ms, s)',
  ]);
});

test("missing keys, empty host lists and a destination among the sources", () => {
  const errs = errorsOf("intents:\n  - name: a\n    match: { hosts: [], to: h2 }\n  - name: b\n    match: { hosts: [h1], to: h1 }\n  - match: { hosts: [h1] }\n");
  assert.deepEqual(errs, [
    "i.yaml:3:21: intents[0].match.hosts: must name at least one host",
    'i.yaml:5:31: intents[1].match.to: destination "h1" is also one of the hosts this intent applies on',
    'i.yaml:6:5: intents[2].name: missing required key "name"',
    'i.yaml:6:12: intents[2].match.to: missing required key "to"',
  ]);
});
