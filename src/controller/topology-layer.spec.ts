// The operator's layer (topology-layer.ts): after any sequence of changes it rebuilds exactly the model
// one controller's state holds (the replicas' leader builds its model from it), keeps who made what is
// in force, and forgets what is back to the topology file's values.
import assert from "node:assert/strict";
import test from "node:test";
import { parseTopology } from "../config/topology-file.js";
import type { Topology } from "../core/model.js";
import { createControllerState } from "./state.js";
import { checkTopologyChanges, type TopologyChangeRequest } from "./topology-check.js";
import { EMPTY_LAYER, layerModel, layerOverrides, nextLayer, resolveLayer, type TopologyLayer } from "./topology-layer.js";
import { TOPOLOGY_YAML, testTopology } from "./testing.js";

/** Applies `requests` to a state and to a layer; after each, the layer's model is the state's. */
function replay(topology: Topology, requests: TopologyChangeRequest[][]): TopologyLayer {
  const state = createControllerState(topology, []);
  let layer = EMPTY_LAYER;
  requests.forEach((changes, i) => {
    const checked = checkTopologyChanges(state.topology, state.drained(), changes);
    assert.ok(checked.ok, checked.ok ? "" : checked.errors.join("\n"));
    const applied = state.changeTopology({ topology: checked.topology, drained: checked.drained });
    if (applied.topologyChanged) layer = nextLayer(layer, topology, checked, { by: `op${i}`, at: `t${i}`, revision: state.revisions().topology, reason: `r${i}` });
    const model = layerModel(topology, layer);
    assert.deepEqual(model.topology, state.topology, `request ${i}: the layer's topology is the state's`);
    assert.deepEqual(model.drained, state.drained(), `request ${i}: the layer's drains are the state's`);
    assert.deepEqual(model.unknown, []);
    assert.deepEqual(JSON.parse(JSON.stringify(layer)), layer, "JSON round trip");
  });
  return layer;
}

test("the layer rebuilds the state's model after drains, undrains and metric changes, and keeps who made what", () => {
  const topology = testTopology();
  const layer = replay(topology, [
    [{ kind: "drain", element: "r4-r2" }],
    [{ kind: "metrics", link: "r1-r2", igp: 20, te: 30 }],
    [{ kind: "measured", link: "r1-r3", delayUs: 6000 }, { kind: "drain", element: "r3" }],
    [{ kind: "drain", element: "r2-r4" }], // in force already: no change
    [{ kind: "undrain", element: "r3" }, { kind: "metrics", link: "r1-r2", igp: 10, te: 10 }], // r1-r2 back to the file's values
  ]);
  assert.deepEqual(
    layerOverrides(topology, layer).map((o) => [o.kind, o.id, o.change, o.source, o.by, o.revision, o.reason]),
    [
      ["link", "r2-r4", "drained", "operator", "op0", 2, "r0"],
      ["link", "r1-r3", "delay_us 5000 -> 6000", "measurement", "op2", 4, "r2"],
    ],
  );
  assert.deepEqual(layer.last, { by: "op4", at: "t4", revision: 5, reason: "r4" });
  // An untouched topology is the file itself (the state then has nothing to recompute).
  assert.equal(layerModel(topology, EMPTY_LAYER).topology, topology);
});

test("a link with metrics per direction: both directions are kept, and told apart in the overrides", () => {
  const yaml = TOPOLOGY_YAML.replace("{ a: r1, b: r2, igp: 10, delay: 1ms }", "{ a: r1, b: r2, igp: { r1: 10, r2: 30 }, delay: 1ms }");
  const parsed = parseTopology(yaml, "t.yaml");
  assert.ok(parsed.ok);
  const topology = parsed.value;
  assert.ok(topology.links[0]!.reverse, "r1-r2 has its own b-to-a metrics");
  const layer = replay(topology, [[{ kind: "metrics", link: "r1-r2", igp: 15 }], [{ kind: "metrics", link: "r1-r2", delayUs: 2000 }]]);
  assert.deepEqual(layerOverrides(topology, layer).map((o) => o.change), ["igp 10 -> 15, delay_us 1000 -> 2000, igp (r2 to r1) 30 -> 15, delay_us (r2 to r1) 1000 -> 2000"]);
});

test("a stored layer's revision 0 is the revision of the write that holds it; what another topology file names is left out", () => {
  const topology = testTopology();
  const made = { by: "a", at: "t", revision: 0, reason: "" };
  const stored: TopologyLayer = { drained: [{ kind: "link", id: "r2-r4", ...made }, { kind: "router", id: "r9", ...made, revision: 7 }], links: [], last: made };
  const resolved = resolveLayer(stored, 12n);
  assert.deepEqual(resolved.drained.map((d) => d.revision), [12, 7]);
  assert.equal(resolved.last!.revision, 12);
  const model = layerModel(topology, resolved);
  assert.deepEqual(model.drained, { links: ["r2-r4"], routers: [] });
  assert.deepEqual(model.unknown, ["router r9"]);
});
