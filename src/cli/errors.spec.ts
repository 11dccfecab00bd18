import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigFileError } from "../config/errors.js";
import { CliError, reportError } from "./errors.js";

function captured(e: unknown): { code: number; text: string } {
  const lines: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    return { code: reportError(e), text: lines.join("\n") };
  } finally {
    console.error = orig;
  }
}

test("bad input exits 2 and lists every located error", () => {
  const r = captured(new ConfigFileError([
    { file: "i.yaml", line: 3, column: 5, field: "intents[0].name", reason: "missing" },
    { file: "i.yaml", line: 0, column: 0, field: "", reason: "cannot read file: no such file" },
  ]));
  assert.equal(r.code, 2);
  assert.equal(r.text, "cairn: invalid input:\n  i.yaml:3:5: intents[0].name: missing\n  i.yaml: cannot read file: no such file");
});

test("expected failures print their message and exit status, with no stack", () => {
  assert.deepEqual(captured(new CliError("a lab is already up", 1)), { code: 1, text: "cairn: a lab is already up" });
  const unreachable = Object.assign(new Error("controller http://[::1]:1: connect ECONNREFUSED ::1:1"), { name: "ControllerCallError", code: 2 });
  const r = captured(unreachable);
  assert.equal(r.code, 1);
  assert.match(r.text, /is a controller running there\?/);
  assert.doesNotMatch(captured(new Error("boom")).text, /at /, "no stack without CAIRN_DEBUG");
});
