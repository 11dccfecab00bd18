import { test } from "node:test";
import assert from "node:assert/strict";
import { formatApplySummary } from "./format.js";

test("formatApplySummary", () => {
  assert.equal(
    formatApplySummary({ added: ["a"], changed: [], removed: ["b"], unchanged: ["c"], hostsPushed: [{ host: "h1", version: 2, upserts: 1, removals: 1 }] }),
    "intents: 1 added (a), 0 changed, 1 removed (b), 1 unchanged\npushed to h1 (v2: 1 upserts, 1 removals)",
  );
});
