import { test } from "node:test";
import assert from "node:assert/strict";
import { agentHostOf } from "./agent-scan.js";

test("an agent's host is read from its command line, however it was started", () => {
  assert.equal(agentHostOf(["/usr/bin/node", "/x/dist/cli/main.js", "agent", "--controller", "https://[::1]:1", "--host", "h1"]), "h1");
  assert.equal(agentHostOf(["/usr/local/bin/cairn", "agent", "--host=h2", "--interface", "eth0"]), "h2");
  assert.equal(agentHostOf(["cairn", "agent", "--host"]), null, "no value");
  assert.equal(agentHostOf(["/x/main.js", "agent", "--remove-datapath", "--host", "h1"]), null, "a cleanup run is not an agent");
  assert.equal(agentHostOf(["/usr/bin/node", "/x/dist/cli/main.js", "controller", "--host", "h1"]), null);
  assert.equal(agentHostOf(["ssh-agent", "--host", "h1"]), null);
  assert.equal(agentHostOf(["agent", "--host", "h1"]), null, "argv[0] is not cairn");
});
