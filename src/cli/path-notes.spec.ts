import { test } from "node:test";
import assert from "node:assert/strict";
import { shortened } from "./path-command.js";

test("a note's long list of names is cut to 12 on a terminal, with the count of the rest", () => {
  const names = Array.from({ length: 15 }, (_, i) => `"n${i}"`);
  assert.equal(shortened(`topology: dropped 15 nodes: ${names.join(", ")}`), `topology: dropped 15 nodes: ${names.slice(0, 12).join(", ")}, … and 3 more (--json lists them all)`);
  const short = `topology: dropped 2 nodes: "a", "b"`;
  assert.equal(shortened(short), short);
  assert.equal(shortened("no list here"), "no list here");
});
