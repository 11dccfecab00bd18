import { test } from "node:test";
import assert from "node:assert/strict";
import { cgroupPathComponents } from "./cgroup-path.js";

test("cgroup paths: absolute, below the root, no . or .., no empty components, sane characters", () => {
  assert.deepEqual(cgroupPathComponents("/cairn-test.slice/video.service/worker"), ["cairn-test.slice", "video.service", "worker"]);
  assert.deepEqual(cgroupPathComponents("/user@1000.service/app:1"), ["user@1000.service", "app:1"]);
  const cases: Array<[string, RegExp]> = [
    ["cairn-test.slice", /must be absolute: start with \//],
    ["", /must be absolute/],
    ["/", /names the root cgroup/],
    ["/a//b", /has an empty component/],
    ["/a/b/", /has an empty component/],
    ["/a/../b", /may not contain "\.\."/],
    ["/a/./b", /may not contain "\."/],
    ["/a b", /has a component "a b" with characters other than/],
    ["/a/$(x)", /has a component "\$\(x\)"/],
    [`/${"x".repeat(256)}`, /at most 255/],
    ["/a/cgroup.procs", /names starting with "cgroup\." are the kernel's/],
  ];
  for (const [path, why] of cases) {
    assert.throws(() => cgroupPathComponents(path), (e: Error) => e.message.startsWith(`cgroup path "${path}" `) && why.test(e.message), path);
  }
});
