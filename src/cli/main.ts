#!/usr/bin/env node
// The `cairn` command. Each subcommand loads only the modules it needs.
import { Command, InvalidArgumentError, Option } from "commander";
import type { AgentCommandOptions } from "../agent/main.js";
import { reportError } from "./errors.js";
import { LAB_CONTROLLER_URL } from "../lab/endpoint.js";
import { parseDurationUs } from "../core/units.js";

const program = new Command("cairn")
  .description("Intent-based, per-application SRv6 path steering from the host")
  .version("0.1.0")
  .option("--config <file>", "the CLI config: controller URL and credentials (default $CAIRN_CONFIG, ~/.config/cairn/config.yaml, then the lab's /run/cairn/lab/operator/config.yaml)")
  .showHelpAfterError()
  .exitOverride();

/** The global options (--config) merged under a command's own. */
const withGlobals = <T extends object>(o: T): T & { config?: string } => ({ ...(program.opts() as { config?: string }), ...o });

const run = (fn: (...args: any[]) => Promise<number | void>) => async (...args: any[]) => {
  try {
    const code = await fn(...args);
    process.exitCode = typeof code === "number" ? code : 0;
  } catch (e) {
    process.exitCode = reportError(e);
  }
};

const controllerOption = () => new Option("--controller <url>", `controller URL, overriding the config file's (without a config file: the lab's, ${LAB_CONTROLLER_URL})`);

program
  .command("validate")
  .description("check a topology file (and an intents file) without applying anything")
  .argument("<topology>", "topology YAML")
  .argument("[intents]", "intents YAML")
  .option("--json", "machine-readable output")
  .action(run(async (t: string, i: string | undefined, o: { json?: boolean }) => (await import("./validate.js")).validateCommand(t, i, o)));

const wholeNumber = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} takes a whole number, got "${v}"`);
  return Number(v);
};

/** A duration option ("3s", "500ms") in milliseconds. */
const durationMs = (name: string) => (v: string) => {
  const d = parseDurationUs(v);
  if (!d.ok) throw new InvalidArgumentError(`${name}: ${d.reason}`);
  return d.value / 1000;
};

program
  .command("controller")
  .description("serve the Cairn API: compute paths for intents, stream them to agents, localise faults from their probes")
  .requiredOption("--topology <file>", "topology YAML")
  .requiredOption("--intents <file>", "intents YAML")
  .option("--tls-dir <dir>", "serve TLS and authenticate every caller with the credentials in DIR (`cairn certs init DIR`): server.crt, server.key, ca.crt (client CA), tokens.yaml, revoked.yaml; changes are picked up without a restart")
  .option("--insecure", "no TLS and no authentication: cleartext, on loopback only (one of --tls-dir and --insecure is required)")
  .option("--listen <host:port>", "address to listen on, repeatable (default [::1]:50051)", (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option("--cleartext-listen <host:port>", "with --tls-dir: also serve cleartext HTTP/2 here, loopback only, for local tools (callers still authenticate, with tokens); repeatable", (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option("--hold-down <duration>", "how long probes must show a marked link or node healthy before it is cleared (default 3s)", durationMs("--hold-down"))
  .option("--stale-after <duration>", "agents' reports older than this are no evidence for localisation (default 10s)", durationMs("--stale-after"))
  .option("--keepalive-timeout <duration>", "a connection whose HTTP/2 PING (every 10s) is not answered within this is dropped (default 5s)", durationMs("--keepalive-timeout"))
  .option("--events <n>", "events kept in memory for `cairn events` (default 1000)", wholeNumber("--events"))
  .option("--audit-log <file>", "append one JSON line per intents change (and refused apply) to this file, fsync'd; never truncated")
  .option("--max-rules <n>", "the agents' --max-rules: intent sets that do not fit a host's datapath are refused (default 1024)", wholeNumber("--max-rules"))
  .option("--path-workers <n>", "worker threads computing an apply's paths, off the event loop; 0: on it (default 2)", wholeNumber("--path-workers"))
  .option("--max-request-bytes <n>", "largest request message, refused from its announced size before it is read (default 8388608)", wholeNumber("--max-request-bytes"))
  .option("--max-response-bytes <n>", "largest response message (default 67108864)", wholeNumber("--max-response-bytes"))
  .option("--max-inflight-request-bytes <n>", "request bodies being read at once, all callers together (default 67108864)", wholeNumber("--max-inflight-request-bytes"))
  .option("--request-body-timeout <duration>", "time a request body has to arrive in full (default 30s)", durationMs("--request-body-timeout"))
  .option("--max-connections <n>", "connections at once per listen address (default 1024)", wholeNumber("--max-connections"))
  .option("--max-concurrent-calls <n>", "unary calls and agents' session messages (reports, acks) handled at once, all connections together; the others wait their turn in arrival order (default 64)", wholeNumber("--max-concurrent-calls"))
  .option("--max-streams-per-connection <n>", "concurrent calls per HTTP/2 connection (default 100)", wholeNumber("--max-streams-per-connection"))
  .option("--max-header-bytes <n>", "size of a request's headers (default 16384)", wholeNumber("--max-header-bytes"))
  .option("--max-intents <n>", "intents in one apply or validate request (default 1000)", wholeNumber("--max-intents"))
  .option("--apply-burst <n>", "applies per caller at once (default 30) ...", wholeNumber("--apply-burst"))
  .option("--apply-per-minute <n>", "... then per minute (default 60)", wholeNumber("--apply-per-minute"))
  .option("--validate-burst <n>", "validations per caller at once (default 60) ...", wholeNumber("--validate-burst"))
  .option("--validate-per-minute <n>", "... then per minute (default 300)", wholeNumber("--validate-per-minute"))
  .option("--etcd <urls>", "run as one of several replicas sharing intents, overlay, assignments and versions in etcd at these client URLs (repeatable, or comma-separated, e.g. http://127.0.0.1:2379); without it, one process with its state in memory", (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option("--etcd-ca <file>", "PEM CA of etcd's server certificate (for https:// --etcd URLs)")
  .option("--etcd-cert <file>", "PEM client certificate for etcd (with --etcd-key, when etcd asks for client certificates)")
  .option("--etcd-key <file>", "PEM private key of --etcd-cert")
  .option("--lab", "a lab's controller (`cairn lab up` starts it so): admins may inject and heal the lab's faults through the API and the web UI's Lab panel")
  .option("--etcd-lease-ttl <seconds>", "TTL of the leader's and the reports' etcd leases: how long a dead replica holds leadership (default 3)", wholeNumber("--etcd-lease-ttl"))
  .action(run(async (o: import("../controller/main.js").ControllerCliOptions) => (await import("../controller/main.js")).runController(o)));

program
  .command("agent")
  .description("run a host's agent: subscribe to the controller and program the eBPF datapath")
  .requiredOption("--controller <url>", "controller URL, e.g. https://[fd00:ca:fe::1]:50051; with replicas, repeat it (or give a comma-separated list): the agent starts with the first and moves to the next live one when its own goes away", (v: string, prev?: string) => (prev ? `${prev},${v}` : v))
  .option("--ca <file>", "PEM CA certificate to verify the controller's certificate with (default: the system's CAs)")
  .option("--cert <file>", "PEM client certificate of this agent (`cairn certs issue DIR --agent HOST`): CN is the host name")
  .option("--key <file>", "PEM private key of --cert")
  .requiredOption("--host <name>", "this host's name in the topology")
  .requiredOption("--interface <if>", "uplink interface to attach the datapath to")
  .option("--status-file <file>", "write the agent's status (JSON) to this file")
  .option("--pin-dir <dir>", "bpffs directory for the datapath's maps (default /sys/fs/bpf/cairn/<host>)")
  .option("--dns-server <addr>", "DNS server for `to: <name>` intents, repeatable (default: the system's)", (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option("--max-rules <n>", "datapath rules (default 1024)", wholeNumber("--max-rules"))
  .option("--max-paths <n>", "distinct paths (default 1024)", wholeNumber("--max-paths"))
  .option("--max-prefixes <n>", "(cgroup, destination prefix) entries (default 1024)", wholeNumber("--max-prefixes"))
  .option("--max-cgroups <n>", "cgroups that rules name (default 256)", wholeNumber("--max-cgroups"))
  .option("--max-fragments <n>", "fragmented datagrams in flight (default 4096)", wholeNumber("--max-fragments"))
  .option("--no-route-mtu", "do not install MTU routes for steered destinations (Packet Too Big still applies)")
  .option("--no-probes", "do not probe paths (no liveliness: no local failover, no path reports)")
  .option("--probe-port <n>", "UDP port of the probes, both ways (default 864)", wholeNumber("--probe-port"))
  .option("--probe-interval-ms <n>", "one probe per path every N ms (default 10)", wholeNumber("--probe-interval-ms"))
  .option("--probe-misses <n>", "a path is down after N intervals without a probe back (default 3)", wholeNumber("--probe-misses"))
  .option("--probe-loss <percent>", "a path is degraded above this loss over the last second (default 5)", (v: string) => {
    const n = Number(v.replace(/%$/, ""));
    if (!Number.isFinite(n) || n <= 0 || n >= 100) throw new InvalidArgumentError(`--probe-loss takes a percentage between 0 and 100, got "${v}"`);
    return n / 100;
  })
  .option("--holddown-ms <n>", "a path that came back carries traffic again after N ms healthy (default 3000)", wholeNumber("--holddown-ms"))
  .option("--no-tcp-signal", "do not watch this host's TCP retransmissions (the tcp_retransmit_skb tracepoint) to probe their paths at once")
  .option("--cgroup-mount <dir>", "the cgroup v2 mount (default: found in /proc/self/mounts; the agent refuses to start without one)")
  .option("--metrics-listen <addr>", "serve GET /metrics (Prometheus text format: per-rule packets and bytes from the datapath, path states, probe RTTs, failovers) over plain HTTP on HOST:PORT, e.g. [::1]:9464 (default: off; no TLS or authentication, so bind it to loopback or a management network)")
  .option("--remove-datapath", "detach the datapath from the interface, remove its pinned maps and exit")
  .action(
    run(async (o: AgentCommandOptions) => {
      const [{ runAgentCli }, { defaultAgentLog }, { surviveLateKeepaliveErrors }] = await Promise.all([import("../agent/main.js"), import("../agent/agent.js"), import("../api/keepalive-guard.js")]);
      // The agent process only (not a test calling runAgentCli): a late keepalive error loses one connection, not the agent.
      surviveLateKeepaliveErrors(defaultAgentLog);
      return runAgentCli(o);
    }),
  );

program
  .command("fleet-sim")
  .description("start a controller and N simulated agents (real HTTP/2, TLS, client certificates) on a Topology Zoo graph; measure initial sync, memory, CPU, and the reaction to a link failure, a router failure and their repairs")
  .option("--graph <name|file>", "a Topology Zoo name (data/topology-zoo/NAME.graphml) or a GraphML file (default Geant2012)")
  .option("--hosts <n>", "simulated hosts, each with its agent (default 1000)", wholeNumber("--hosts"))
  .option("--rules <n>", "rules over all hosts (default 10000)", wholeNumber("--rules"))
  .option("--workers <n>", "processes running the agents (default: the number of CPUs)", wholeNumber("--workers"))
  .option("--attach <how>", "hosts to routers: round-robin or random (default round-robin)")
  .option("--seed <n>", "seed of the random choices (default 1)", wholeNumber("--seed"))
  .option("--hold-down <duration>", "the controller's --hold-down (default 1s)", durationMs("--hold-down"))
  .option("--connect-concurrency <n>", "agents per worker connecting at once (default 100)", wholeNumber("--connect-concurrency"))
  .option("--keepalive-timeout <duration>", "HTTP/2 PING timeout of the controller and the agents (default 5s, theirs): thousands of agents per worker process answer late when it is busy", durationMs("--keepalive-timeout"))
  .option("--reports-as <how>", "agents' reports as messages on their sessions (the agent's way) or as a ReportStatus call each (to compare; default messages)")
  .option("--pki-dir <dir>", "credential directory, kept between runs (default: per host count under the temp dir)")
  .option("--timeout <duration>", "give up a phase after this long (default 300s)", durationMs("--timeout"))
  .option("--first-update-within <duration>", "an event that brings no agent an update within this long moves nobody (default 90s; a 10,000-agent fleet on 2 cores needs longer)", durationMs("--first-update-within"))
  .option("--no-full-recompute", "skip timing a full recomputation (as long as the controller's start)")
  .option("--replicas <k>", "run the controller as K replicas on an etcd the run starts (Debian's etcd-server), agents spread over them (default 1: one process)", wholeNumber("--replicas"))
  .option("--kill-leader", "with --replicas: kill the computing replica (SIGKILL) 20 ms after the link failure, and check that no agent is left on a stale version")
  .option("--json", "machine-readable output")
  .action(
    run(async (o: { graph?: string; hosts?: number; rules?: number; workers?: number; attach?: string; seed?: number; holdDown?: number; keepaliveTimeout?: number; firstUpdateWithin?: number; connectConcurrency?: number; pkiDir?: string; timeout?: number; fullRecompute?: boolean; reportsAs?: string; json?: boolean }) => {
      if (o.attach !== undefined && o.attach !== "round-robin" && o.attach !== "random") throw new InvalidArgumentError(`--attach takes round-robin or random, got "${o.attach}"`);
      if (o.reportsAs !== undefined && o.reportsAs !== "messages" && o.reportsAs !== "calls") throw new InvalidArgumentError(`--reports-as takes messages or calls, got "${o.reportsAs}"`);
      const { holdDown, keepaliveTimeout, firstUpdateWithin, timeout, attach, reportsAs, ...rest } = o;
      return (await import("../fleet/command.js")).fleetSimCommand({
        ...rest,
        ...(attach ? { attach: attach as "round-robin" | "random" } : {}),
        ...(reportsAs ? { reportsAs: reportsAs as "messages" | "calls" } : {}),
        ...(holdDown !== undefined ? { holdDownMs: holdDown } : {}),
        ...(keepaliveTimeout !== undefined ? { keepaliveTimeoutMs: keepaliveTimeout } : {}),
        ...(timeout !== undefined ? { timeoutMs: timeout } : {}),
        ...(firstUpdateWithin !== undefined ? { firstUpdateWithinMs: firstUpdateWithin } : {}),
      });
    }),
  );

program
  .command("apply")
  .description("replace the controller's intents with those in a file; prints what changed (intents, and every host's rules)")
  .requiredOption("-f, --file <intents>", "intents YAML")
  .addOption(controllerOption())
  .option("--dry-run", "show what the apply would change, against the current revision; apply nothing")
  .option("--revision <r>", "apply only if the controller's intents are still at this revision (e.g. a dry run's); default: the revision read just before", wholeNumber("--revision"))
  .option("--prune-all", "allow the apply to remove every intent (a file with `intents: []`)")
  .option("--json", "machine-readable output")
  .addHelpText("after", "\nExit status: 0 applied (or the dry run shown), 2 bad input (nothing sent), 4 conflict: the intents changed since the revision (nothing applied), 1 refused or unreachable.")
  .action(run(async (o: import("./apply-command.js").ApplyCommandOptions) => (await import("./apply-command.js")).applyCommand(withGlobals(o))));

const many = (v: string, prev: string[]) => [...prev, v];
program
  .command("path")
  .description("offline what-if: the best path (and backup) between two routers of a topology, with its segment list")
  .requiredOption("--topology <file>", "topology: Cairn YAML or Topology Zoo GraphML (.graphml)")
  .requiredOption("--from <node>", "head-end router (or a host: its gateway router)")
  .requiredOption("--to <node>", "destination router (or a host: its router)")
  .option("--objective <o>", "igp | te | latency | hops | jitter | loss | bandwidth | utilization | weighted (default latency)")
  .option("--weight <metric=n>", "weighted objective term, e.g. latency=1 (repeatable)", many, [] as string[])
  .option("--max-latency <duration>", "hard limit on end-to-end latency, e.g. 20ms")
  .option("--max-jitter <duration>", "hard limit on summed jitter")
  .option("--max-loss <ratio>", "hard limit on end-to-end loss, e.g. 0.1%")
  .option("--max-hops <n>", "hard limit on links crossed")
  .option("--min-bandwidth <rate>", "every link's available bandwidth at least this, e.g. 1Gbps")
  .option("--avoid-node <router>", "repeatable", many, [] as string[])
  .option("--avoid-link <a-b>", "repeatable", many, [] as string[])
  .option("--avoid-srlg <name>", "repeatable", many, [] as string[])
  .option("--avoid-region <name>", "routers in this region/country are avoided (repeatable)", many, [] as string[])
  .option("--exclude-any <colour>", "no link with this colour (repeatable)", many, [] as string[])
  .option("--include-any <colour>", "every link has one of these colours (repeatable)", many, [] as string[])
  .option("--include-all <colour>", "every link has all of these colours (repeatable)", many, [] as string[])
  .option("--via <node|service>", "waypoint router or service function, in order (repeatable)", many, [] as string[])
  .option("--protection <p>", "none | link | node | srlg: also compute a disjoint backup (default none)")
  .option("--msd <n>", "maximum SID depth the head-end can push")
  .option("--igp <n|delay>", "GraphML only: every link's IGP metric (default 10), or 'delay' for the delay in 10 µs units")
  .option("--json", "machine-readable output")
  .addHelpText("after", "\nExit status: 0 path found, 3 infeasible, 2 bad input.")
  .action(run(async (o) => (await import("./path-command.js")).pathCommand(o)));

const topology = program.command("topology").description("read a topology file offline; drain, undrain and set metrics on the controller's");
topology
  .command("show")
  .description("the routers, hosts, links and SIDs of a Cairn topology YAML or a Topology Zoo GraphML file (its node names, as the other commands take them)")
  .argument("<file>", "topology: Cairn YAML or Topology Zoo GraphML (.graphml)")
  .option("--igp <n|delay>", "GraphML only: every link's IGP metric (default 10), or 'delay' for the delay in 10 µs units")
  .option("--json", "machine-readable output: every field, SIDs included")
  .addHelpText("after", "\nExit status: 0 shown, 2 bad input (file, line and column of every problem).")
  .action(run(async (f: string, o: { json?: boolean; igp?: string }) => (await import("./topology-command.js")).topologyShowCommand(f, o)));

/** The options every controller topology change takes. */
const changeOptions = (c: Command) =>
  c
    .addOption(controllerOption())
    .option("--revision <r>", "change only if the controller's topology is still at this revision; default: the revision read just before", wholeNumber("--revision"))
    .option("--reason <text>", "why (a ticket, a note): recorded in the event, the audit log and `cairn get links`")
    .option("--json", "machine-readable output")
    .addHelpText("after", "\nAdmin only. All or nothing. Exit status: 0 changed (or already in force), 2 bad input (unknown names, with the nearest ones; nothing changed), 4 conflict: the topology changed since the revision (nothing changed), 1 refused or unreachable.");
type ChangeFlags = import("./topology-change-command.js").TopologyChangeOptions;
for (const kind of ["drain", "undrain"] as const) {
  changeOptions(
    topology
      .command(kind)
      .description(
        kind === "drain"
          ? "take links or routers out of service on the controller (maintenance): no path crosses them until undrained; probes never clear a drain"
          : "put drained links or routers back in service: paths may cross them again",
      )
      .argument("<element...>", "a link id (a-b, either way round) or a router name"),
  ).action(run(async (elements: string[], o: ChangeFlags) => (await import("./topology-change-command.js")).topologyChangeCommand(elements.map((element) => ({ kind, element })), withGlobals(o))));
}
changeOptions(
  topology
    .command("set-metric")
    .description("change a link's metrics on the controller (both directions); a worse link recomputes the paths crossing it, a better one (or an IGP change) every path")
    .argument("<link>", "a link id (a-b, either way round)")
    .argument("<metric=value...>", "igp=N te=N delay=5ms jitter=200us loss=0.5% bandwidth=10Gbps utilization=40%")
    .option("--measured", "the values are measurements (delay, jitter, loss only), shown as such"),
).action(run(async (link: string, values: string[], o: ChangeFlags) => {
  const m = await import("./topology-change-command.js");
  return m.topologyChangeCommand([m.metricChange(link, values, o.measured === true)], withGlobals(o));
}));
topology
  .command("revision")
  .description("the controller's topology and intents revisions, and the operator's changes in force")
  .addOption(controllerOption())
  .option("--json", "machine-readable output")
  .action(run(async (o: { controller?: string; json?: boolean }) => (await import("./topology-change-command.js")).topologyRevisionCommand(withGlobals(o))));

const get = program.command("get").description("show the controller's state");
get
  .command("paths")
  .argument("[hosts...]", "only these hosts (default: every host; a large fleet's answer can pass the controller's --max-response-bytes)")
  .description("every host's rules, their targets, paths and segment lists, the connected agents and what they report")
  .addOption(controllerOption())
  .option("--json", "machine-readable output")
  .action(run(async (hosts: string[], o: { controller?: string; json?: boolean }) => {
    const t = await (await import("./target.js")).controllerTarget(withGlobals(o));
    const paths = await (await import("../api/client.js")).getPaths(t.url, { credentials: t.credentials }, hosts);
    console.log(o.json ? JSON.stringify(paths, null, 2) : (await import("./format-paths.js")).formatPathsTable(paths));
  }));

get
  .command("links")
  .description("every link, router and host: up, or marked degraded or down by fault localisation, with the probed paths that say so")
  .addOption(controllerOption())
  .option("--json", "machine-readable output")
  .action(run(async (o: { controller?: string; json?: boolean }) => {
    const t = await (await import("./target.js")).controllerTarget(withGlobals(o));
    const links = await (await import("../api/client.js")).getLinks(t.url, { credentials: t.credentials });
    console.log(o.json ? JSON.stringify(links, null, 2) : (await import("./format-links.js")).formatLinksTable(links));
  }));

program
  .command("ui")
  .description("print a one-time link that logs a browser into the controller's web UI as you (it works once, within a minute)")
  .addOption(controllerOption())
  .option("--json", "machine-readable output")
  .action(run(async (o: { controller?: string; json?: boolean }) => (await import("./ui-command.js")).uiCommand(withGlobals(o))));

program
  .command("events")
  .description("the controller's recent events: path state changes, localisations, overlay changes, recomputations, pushes and their acknowledgements, intent changes")
  .addOption(controllerOption())
  .option("--json", "machine-readable output (with --follow: one JSON object per line)")
  .option("--follow", "then print each new event as it happens, until interrupted")
  .option("--limit <n>", "only the newest N held events (default all)", wholeNumber("--limit"), 0)
  .action(run(async (o: { controller?: string; json?: boolean; follow?: boolean; limit: number }) => (await import("./events-command.js")).eventsCommand(withGlobals(o))));

const lab = program.command("lab").description("a real SRv6 network of namespaces, kernel SIDs and FRR IS-IS on this machine");
lab
  .command("up")
  .description("build the lab; with --intents also start the controller and one agent per host")
  .argument("<topology>", "topology YAML")
  .option("--intents <file>", "intents YAML: start the controller and agents, wait until every agent has its paths")
  .action(run(async (t: string, o: { intents?: string }) => (await import("./lab-commands.js")).labUpCommand(t, o)));
lab
  .command("down")
  .description("remove every namespace, daemon, cgroup, pinned map and process of the lab")
  .action(run(async () => (await import("./lab-commands.js")).labDownCommand()));
lab
  .command("status")
  .description("nodes, links, processes, agents and their paths")
  .option("--json", "machine-readable output")
  .action(run(async (o: { json?: boolean }) => (await import("./lab-commands.js")).labStatusCommand(o)));
lab
  .command("exec")
  .description("run a command in a node's namespace, optionally in a cgroup and as another user")
  .argument("<node>", "router, host or container name")
  .argument("<command...>", "the command, after --")
  .option("--app <name>", "run inside this lab app's cgroup (<cgroup2>/cairn/apps/NAME)")
  .addOption(new Option("--cgroup <path>", "run inside this cgroup v2 path, relative to the cgroup2 mount, e.g. /cairn-test.slice/video.service (created if missing; lab down removes what it created)").conflicts("app"))
  .option("--user <name|uid>", "run as this user, with its primary group (default: nobody with --app or --cgroup, so apps cannot read the lab's keys; root otherwise)")
  .action(run(async (node: string, command: string[], o: { app?: string; cgroup?: string; user?: string }) => (await import("./lab-commands.js")).labExecCommand(node, command, o)));
lab
  .command("container")
  .description("containers behind a host: a namespace of their own, addresses in the host's subnets")
  .command("add")
  .description("add container NAME behind HOST (the host forwards for it; `lab exec NAME` runs in it)")
  .argument("<host>", "a host of the lab")
  .argument("<name>", "the container's name (also its node name for `lab exec`)")
  .option("--json", "machine-readable output")
  .action(run(async (host: string, name: string, o: { json?: boolean }) => (await import("./lab-commands.js")).labContainerAddCommand(host, name, o)));
const dns = lab.command("dns").description("the lab's DNS records (dnsmasq on the management network, [fd00:ca:fe::53]:53)");
dns
  .command("set")
  .description("give NAME these addresses (AAAA and A records), replacing the ones it had")
  .argument("<name>", "a host name, e.g. video.lab")
  .argument("<addresses...>", "IPv6 and/or IPv4 addresses")
  .option("--json", "machine-readable output")
  .action(run(async (name: string, addresses: string[], o: { json?: boolean }) => (await import("./lab-commands.js")).labDnsSetCommand(name, addresses, o)));
dns
  .command("rm")
  .description("remove NAME's records")
  .argument("<name>", "a name that has records")
  .option("--json", "machine-readable output")
  .action(run(async (name: string, o: { json?: boolean }) => (await import("./lab-commands.js")).labDnsRmCommand(name, o)));
dns
  .command("list")
  .description("every name and its addresses")
  .option("--json", "machine-readable output")
  .action(run(async (o: { json?: boolean }) => (await import("./lab-commands.js")).labDnsListCommand(o)));
const fault = lab
  .command("fault")
  .description("break the lab on purpose: links or routers down, silent drop, partial loss; heal")
  .addHelpText("after", "\nLINK: a link between routers, as its id in the topology file or either way round (r1-r2, r2-r1). NODE: a router.\nA second fault on the same link or router replaces the first. `cairn lab status` shows the faults in force.");
const directionOption = () => new Option("--direction <dir>", "which way packets are lost: a-b, b-a (a and b as LINK is written), both, or the routers X-Y").default("both");
fault
  .command("down")
  .description("a link down (carrier off on both ends) or a router down (daemons killed, every link down)")
  .argument("<target>", "LINK or NODE")
  .option("--json", "machine-readable output")
  .action(run(async (t: string, o: { json?: boolean }) => (await import("./fault-commands.js")).faultDownCommand(t, o)));
fault
  .command("drop")
  .description("silently drop every data packet (IPv6, IPv4) on a link that stays up; IS-IS keeps its adjacency")
  .argument("<link>", "LINK")
  .addOption(directionOption())
  .option("--json", "machine-readable output")
  .action(run(async (l: string, o: { direction: string; json?: boolean }) => (await import("./fault-commands.js")).faultDropCommand(l, o)));
fault
  .command("loss")
  .description("drop a random share of the data packets on a link; IS-IS unaffected")
  .argument("<link>", "LINK")
  .argument("<percent>", "share of data packets to drop, above 0 and below 100, e.g. 30 or 2.5%")
  .addOption(directionOption())
  .option("--json", "machine-readable output")
  .action(run(async (l: string, p: string, o: { direction: string; json?: boolean }) => (await import("./fault-commands.js")).faultLossCommand(l, p, o)));
fault
  .command("heal")
  .description("remove the fault on LINK or NODE (or every fault) and put back what the plan says: links up, addresses, SIDs, daemons")
  .argument("[target]", "LINK or NODE")
  .option("--all", "every fault, and every link and router")
  .option("--wait", "then wait (up to 60 s) until IS-IS has every route the remaining faults allow")
  .option("--json", "machine-readable output")
  .action(run(async (t: string | undefined, o: { all?: boolean; wait?: boolean; json?: boolean }) => (await import("./fault-commands.js")).faultHealCommand(t, o)));
fault
  .command("list")
  .description("the faults in force")
  .option("--json", "machine-readable output")
  .action(run(async (o: { json?: boolean }) => (await import("./fault-commands.js")).faultListCommand(o)));
lab
  .command("failover-test")
  .description("the outage table: bring up examples/failover, stream three flows (video with liveliness, without, unsteered) and inject each fault kind on video's primary in turn; prints per fault the outage, losses, recovery and paths of every flow, and the controller's timeline")
  .option("--faults <ids>", "comma-separated subset of endx-down, loose-down, node-down, drop, loss (default all, in that order)")
  .option("--rate <n>", "datagrams per second per flow", wholeNumber("--rate"), 1000)
  .option("--fault-ms <ms>", "how long each fault is held", wholeNumber("--fault-ms"), 3000)
  .option("--after-heal-ms <ms>", "how long the streams go on after the heal (the hold-down is 3 s)", wholeNumber("--after-heal-ms"), 6000)
  .option("--json", "machine-readable output")
  .option("--keep", "leave the lab up afterwards")
  .action(run(async (o: { faults?: string; rate: number; faultMs: number; afterHealMs: number; json?: boolean; keep?: boolean }) =>
    (await import("./failover-command.js")).failoverTestCommand(o)));
lab
  .command("traffic")
  .description("send sequenced UDP datagrams (run it inside a node with `lab exec`); Ctrl-C stops early and says so to the sink")
  .requiredOption("--to <address>", "destination IPv6 or IPv4 address")
  .requiredOption("--port <n>", "destination port", wholeNumber("--port"))
  .option("--count <n>", "datagrams to send", wholeNumber("--count"), 1000)
  .option("--rate <n>", "datagrams per second", (v) => Number(v), 2000)
  .option("--size <bytes>", "UDP payload size, at least 32 (the sequence header)", wholeNumber("--size"), 200)
  .option("--stream-id <n>", "the stream's id in every datagram (default: random)", wholeNumber("--stream-id"))
  .option("--json", "machine-readable output")
  .action(run(async (o: { to: string; port: number; count: number; rate: number; size: number; streamId?: number; json?: boolean }) =>
    (await import("./traffic-commands.js")).trafficCommand(o)));

lab
  .command("sink")
  .description("receive UDP (IPv6 and IPv4) on a port and account for every sequenced datagram: lost, duplicates, reordered, longest gap (run it inside a node with `lab exec`)")
  .requiredOption("--port <n>", "port to listen on", wholeNumber("--port"))
  .option("--duration-ms <n>", "listen exactly this long", wholeNumber("--duration-ms"))
  .option("--grace-ms <n>", "without --duration-ms or --idle-ms: listen until every stream's last datagram arrived or was due, plus this long", wholeNumber("--grace-ms"), 1000)
  .option("--idle-ms <n>", "stop this long after the last datagram (hides an outage longer than that)", wholeNumber("--idle-ms"))
  .option("--timeout-ms <n>", "stop after this long in any case", wholeNumber("--timeout-ms"), 60_000)
  .option("--json", "machine-readable output (the \"listening\" notice goes to stderr)")
  .action(run(async (o: { port: number; durationMs?: number; graceMs: number; idleMs?: number; timeoutMs: number; json?: boolean }) =>
    (await import("./traffic-commands.js")).sinkCommand(o)));

const certs = program
  .command("certs")
  .description("a CA and credentials for the controller, its agents and operators (runs the system's openssl)")
  .addHelpText("after", "\nDIR holds ca.crt/ca.key, server.crt/server.key, agents/HOST.crt/.key, operators/NAME.crt/.key,\ntokens.yaml (token hashes), revoked.yaml and issued.yaml. Keys are 0600, directories 0700.");
certs
  .command("init")
  .description("create a CA and the controller's server certificate in DIR")
  .argument("<dir>", "credential directory (created 0700)")
  .option("--days <n>", "the server certificate's validity in days (default 365)", wholeNumber("--days"))
  .option("--ca-days <n>", "the CA's validity in days (default 3650, at least --days)", wholeNumber("--ca-days"))
  .option("--server-name <name>", "a DNS name of the controller, repeatable (default localhost)", many, [] as string[])
  .option("--server-address <ip>", "an IP address of the controller, repeatable (default 127.0.0.1 and ::1)", many, [] as string[])
  .option("--force", "replace an existing CA (the old one and what it issued move to DIR/replaced-TIME/)")
  .option("--json", "machine-readable output")
  .action(run(async (dir: string, o) => (await import("../certs/command.js")).certsInitCommand(dir, o)));
certs
  .command("issue")
  .description("issue (or re-issue, to rotate) an agent's, operator's or the controller's certificate")
  .argument("<dir>", "credential directory")
  .option("--agent <host>", "an agent's certificate: CN=HOST, OU=agent")
  .option("--operator <name>", "an operator's certificate: CN=NAME, OU=ROLE")
  .option("--role <role>", "viewer or admin (with --operator)")
  .option("--server", "a new server certificate for the controller")
  .option("--server-name <name>", "with --server: a DNS name, repeatable", many, [] as string[])
  .option("--server-address <ip>", "with --server: an IP address, repeatable", many, [] as string[])
  .option("--days <n>", "validity in days (default 365)", wholeNumber("--days"))
  .option("--not-before <time>", "explicit validity start instead of --days, e.g. 2026-01-31T12:00:00Z (may be in the past)")
  .option("--not-after <time>", "explicit validity end")
  .option("--json", "machine-readable output")
  .action(run(async (dir: string, o) => (await import("../certs/command.js")).certsIssueCommand(dir, o)));
certs
  .command("token")
  .description("create a bearer token for an operator or tool; prints it once, stores only its SHA-256")
  .argument("<dir>", "credential directory")
  .requiredOption("--name <name>", "the token's name (revocation is by name)")
  .requiredOption("--role <role>", "viewer or admin")
  .option("--days <n>", "validity in days (default 90)", wholeNumber("--days"))
  .option("--force", "replace an unrevoked token of the same name")
  .option("--json", "machine-readable output")
  .action(run(async (dir: string, o) => (await import("../certs/command.js")).certsTokenCommand(dir, o)));
certs
  .command("revoke")
  .description("revoke every certificate of an agent or operator, one certificate by serial, or a token")
  .argument("<dir>", "credential directory")
  .option("--agent <host>", "every certificate issued to this agent")
  .option("--operator <name>", "every certificate issued to this operator")
  .option("--serial <hex>", "one certificate")
  .option("--token <name>", "a token")
  .option("--json", "machine-readable output")
  .action(run(async (dir: string, o) => (await import("../certs/command.js")).certsRevokeCommand(dir, o)));
certs
  .command("list")
  .description("every certificate issued and every token, with role, serial, expiry and status")
  .argument("<dir>", "credential directory")
  .option("--json", "machine-readable output")
  .action(run(async (dir: string, o) => (await import("../certs/command.js")).certsListCommand(dir, o)));
certs
  .command("config")
  .description("write a CLI config file (controller URL, CA, certificate, key) for an issued operator certificate")
  .argument("<dir>", "credential directory")
  .requiredOption("--operator <name>", "an operator with a certificate in DIR/operators/")
  .requiredOption("--controller <url>", "the controller's https:// URL")
  .option("--out <file>", "write here (0600) instead of printing, e.g. ~/.config/cairn/config.yaml")
  .option("--force", "overwrite --out")
  .option("--json", "machine-readable output")
  .action(run(async (dir: string, o) => (await import("../certs/command.js")).certsConfigCommand(dir, o)));

program
  .command("demo")
  .description("bring up the example lab, steer two apps onto different paths, and show where their packets went")
  .option("--once", "tear the lab down afterwards; exit 0 only if every app was seen on its computed path")
  .action(run(async (o: { once?: boolean }) => (await import("../demo/demo.js")).runDemo(o)));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e as { code?: string; exitCode?: number };
  if (typeof err.code === "string" && err.code.startsWith("commander.")) {
    process.exitCode = err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help" ? 0 : 2;
  } else process.exitCode = reportError(e);
}
