import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeControls, label, quote } from "./quote.js";

test("quote: JSON escapes plus the invisible and bidi characters; cut on the escaped text", () => {
  assert.equal(quote("web"), '"web"');
  assert.equal(quote('a"b\\'), '"a\\"b\\\\"');
  assert.equal(quote("\u001b[2J\u202e\u2028\u0085\ufeff"), '"\\u001b[2J\\u202e\\u2028\\u0085\\ufeff"');
  assert.equal(quote("x".repeat(100), 10), `"${"x".repeat(10)}…"`);
  // 64 NULs escape to 384 characters: the cut counts what is shown.
  assert.ok(quote("\u0000".repeat(64)).length <= 64 + 8);
  assert.equal(quote("𝄞𝄞", 1), '"𝄞…"', "never half a surrogate pair");
  assert.equal(quote("\ud800x"), '"\\ud800x"', "a lone surrogate is escaped");
});

test("escapeControls: a whole message, printable text untouched", () => {
  assert.equal(escapeControls("f.yaml:1:2: bad \u001b[31m é 𝄞"), "f.yaml:1:2: bad \\u001b[31m é 𝄞");
});

test("label: names as they are, anything else quoted", () => {
  assert.equal(label("web#0"), "web#0");
  assert.equal(label("h1"), "h1");
  assert.equal(label("a b"), '"a b"');
  assert.equal(label("undefined"), '"undefined"', "found by fuzzing: a key named undefined read as a bug");
  assert.equal(label("x".repeat(65)), `"${"x".repeat(64)}…"`);
});
