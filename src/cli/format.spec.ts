import { test } from "node:test";
import assert from "node:assert/strict";
import { formatApplyResult, formatValidateResult } from "./format.js";

test("formatApplyResult: the revisions, the intents, an explicit line for removals, and every changed host's rules", () => {
  assert.equal(
    formatApplyResult(
      {
        added: ["a"],
        changed: [],
        removed: ["b"],
        unchanged: ["c"],
        hostsPushed: [{ host: "h1", version: 2, upserts: 1, removals: 1 }],
        hostRules: [{ host: "h1", added: ["a#0"], changed: [], removed: ["b#0", "b#1"] }],
        reordered: false,
        previousRevision: 4,
        revision: 5,
      },
      "i.yaml",
    ),
    [
      "applied i.yaml: revision 4 -> 5",
      "intents: 1 added (a), 0 changed, 1 removed (b), 1 unchanged",
      "removed 1 intent: b",
      "rules (pushed to the hosts' agents):",
      "  h1 (v2): added a#0; removed b#0, b#1",
    ].join("\n"),
  );
  const same = { added: [], changed: [], removed: [], unchanged: ["c"], hostsPushed: [], hostRules: [], reordered: false, previousRevision: 5, revision: 5 };
  assert.equal(formatApplyResult(same, "i.yaml"), "i.yaml: no change; the controller already holds these intents (revision 5)");
});

test("formatValidateResult: a dry run says nothing was applied and how to apply exactly that", () => {
  assert.equal(
    formatValidateResult({ revision: 7, added: [], changed: ["a"], removed: ["b", "c"], unchanged: [], hostRules: [{ host: "h3", added: [], changed: ["a#0"], removed: ["b#0"] }], reordered: true }, "x.yaml"),
    [
      "dry run of x.yaml against revision 7: nothing applied",
      "intents: 0 added, 1 changed (a), 2 removed (b, c), 0 unchanged (reordered)",
      "would remove 2 intents: b, c",
      "rules:",
      "  h3: changed a#0; removed b#0",
      "to apply exactly this: cairn apply -f x.yaml --revision 7",
    ].join("\n"),
  );
  assert.equal(
    formatValidateResult({ revision: 2, added: [], changed: [], removed: [], unchanged: ["a"], hostRules: [], reordered: false }, "x.yaml"),
    "dry run of x.yaml: no change against revision 2; nothing applied",
  );
});
