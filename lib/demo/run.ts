/**
 * `re6st demo` — builds a whole re6st network in namespaces on this machine and shows it
 * converge (root only). Topology (TESTNET.md `demo`): an "internet" switch with the registry
 * host and 2 nodes; gateway A masquerading a LAN of 2 nodes (miniupnpd runs there, but 2.3.1
 * refuses mappings for 198.18.0.0/15, so these nodes are client-only); gateway B routing (no
 * NAT) a LAN of 2 nodes. A fresh CA, the real `re6st registry`, nodes registered with the real
 * `re6st conf` and run with the real `re6st node`. Prints one progress line per second (ordered
 * pairs that ping), the all-pairs matrix, the tunnel graph crawled by the registry (text, DOT and
 * SVG files), then stays up until Ctrl-C or `--duration` and tears everything down.
 */
import { tryRun } from "../netns/exec.ts";
import { parseTopology, type TopologyGraph } from "../topology/graph.ts";
import { topologyToDot } from "../topology/dot.ts";
import { topologyToSvg } from "../topology/svg.ts";
import { DEMO_USAGE, makeOutDir, parseDemoArgs } from "./args.ts";
import { Overlay, type OverlayNode } from "./overlay.ts";
import { countReached, matrixTable, watchConvergence } from "./reachability.ts";
import { World, type WorldHost } from "./world.ts";

/** Node hosts and where they sit. */
interface Placement {
  host: WorldHost;
  /** underlay address given as `--ip` (none: learnt from peers, behind NAT) */
  ip?: string;
}

function say(line: string): void {
  console.log(line);
}

/** The registry's topology crawl (`topology()`, spec §3.6), relabelled with host names. */
async function crawl(registryNs: string, names: Map<string, string>): Promise<TopologyGraph> {
  const r = await tryRun(["curl", "-sf", "--max-time", "20", "http://127.0.0.1/topology"], {
    ns: registryNs,
  });
  if (r.code !== 0) throw new Error(`topology crawl failed (curl exit ${r.code})`);
  const raw = JSON.parse(r.stdout) as Record<string, string[]>;
  const label = (cn: string) => (names.has(cn) ? `${names.get(cn)} ${cn}` : cn);
  const relabelled: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(raw)) {
    relabelled[k === "" ? "" : label(k)] = Array.isArray(v) ? v.map(label) : v;
  }
  return parseTopology(relabelled);
}

function graphText(g: TopologyGraph): string {
  const lines = g.nodes.map((n) => {
    const out = g.edges.filter(([a]) => a === n).map(([, b]) => b);
    const silent = g.responders.has(n) ? "" : " (did not answer)";
    return `  ${n}${silent} → ${out.length ? out.join(", ") : "-"}`;
  });
  return [`client tunnels (${g.edges.length}):`, ...lines].join("\n");
}

/** Runs the demo; returns the exit status. */
export async function run(args: string[]): Promise<number> {
  const cmd = parseDemoArgs(args);
  if ("error" in cmd) {
    console.error(`re6st demo: ${cmd.error}\n\n${DEMO_USAGE}`);
    return 2;
  }
  if (cmd.help) {
    console.log(DEMO_USAGE);
    return 0;
  }
  const { duration, hello, keep } = cmd.options;
  if (Deno.uid() !== 0) {
    console.error("re6st demo: must run as root (it creates network namespaces): sudo it");
    return 1;
  }
  let outDir;
  try {
    outDir = await makeOutDir(cmd.options.out);
  } catch (e) {
    console.error(`re6st demo: cannot create the output directory: ${(e as Error).message}`);
    return 1;
  }
  const graphFiles = [`${outDir}/topology.dot`, `${outDir}/topology.svg`];
  let graphWritten = false;

  const work = await Deno.makeTempDir({ prefix: "re6st-demo-" });
  const logDir = `${work}/logs`;
  await Deno.mkdir(logDir, { recursive: true });
  const world = await World.create(logDir);
  let interrupted = false;
  let wake: () => void = () => {};
  const onSignal = () => {
    if (!interrupted) say("\nstopping…");
    interrupted = true;
    wake();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let status = 0;
  let overlay: Overlay | undefined;
  try {
    say(`building the network in namespaces ${world.prefix}* (work dir ${work})`);
    const registryHost = await world.host("registry");
    const gwA = await world.host("gw-a"), gwB = await world.host("gw-b");
    const direct = [await world.host("d1"), await world.host("d2")];
    const lanA = [await world.host("a1"), await world.host("a2")];
    const lanB = [await world.host("b1"), await world.host("b2")];
    const internet = await world.switch("internet", [registryHost, gwA, gwB, ...direct]);
    const swA = await world.switch("lan-a", [gwA, ...lanA]);
    const swB = await world.switch("lan-b", [gwB, ...lanB]);
    await world.nat(gwA, swA, internet);
    await world.gateway(gwB, swB, internet);
    say(
      `  internet 198.18.1.0/24: registry, gateways A and B, d1, d2\n` +
        `  LAN A 198.18.2.0/24 behind NAT (miniupnpd) on A: a1, a2 (client-only)\n` +
        `  LAN B 198.18.3.0/24 routed by B: b1, b2`,
    );
    if (interrupted) return 130;

    say("creating a CA and starting the registry…");
    overlay = await Overlay.create({
      dir: work,
      logDir,
      spawn: (host, argv, opts) => world.spawn(host, argv, opts),
      hello,
      clientCount: 2,
      tunnelRefresh: 100,
      // every node bootstraps from the registry node at first: let it serve them all
      maxClients: 8,
    });
    const registry = await overlay.startRegistry(registryHost, world.ip(internet, registryHost));
    const placements: Placement[] = [
      ...direct.map((h) => ({ host: h, ip: world.ip(internet, h) })),
      ...lanB.map((h) => ({ host: h, ip: world.ip(swB, h) })),
      ...lanA.map((h) => ({ host: h })),
    ];
    say(`registering ${placements.length + 1} nodes with re6st conf…`);
    const others = await Promise.all(
      placements.map((p) => overlay!.addNode(p.host, p.ip ? [p.ip] : [])),
    );
    const nodes: OverlayNode[] = [registry, ...others];
    for (const n of nodes) say(`  ${n.host.name.padEnd(9)} ${n.cn.padEnd(6)} ${n.address}`);
    if (interrupted) return 130;

    say("starting every re6st node…");
    await Promise.all(nodes.map((n) => n.start()));
    const names = nodes.map((n) => n.host.name);
    const targets = nodes.map((n) => ({ name: n.host.name, ns: n.host.ns, address: n.address }));
    const total = nodes.length * (nodes.length - 1);
    const c = await watchConvergence(targets, 180_000, (m, ms) => {
      say(
        `  ${(ms / 1000).toFixed(0).padStart(3)} s  ${countReached(m)}/${total} ordered pairs ping`,
      );
    }, () => interrupted);
    if (interrupted) return 130;
    say(
      c.complete
        ? `\nevery node reaches every other after ${(c.ms / 1000).toFixed(1)} s`
        : `\nnot converged after ${(c.ms / 1000).toFixed(0)} s`,
    );
    say(`\nreachability (row pings column):\n${matrixTable(names, c.matrix)}`);
    if (!c.complete) status = 1;

    // a crawl opens the UDP 326 sessions it lacks (messages to a peer without one are
    // dropped): crawl again until every node answered, a few times at most
    const cns = new Map(nodes.map((n) => [n.cn, n.host.name]));
    let graph = await crawl(registryHost.ns, cns);
    for (let i = 0; i < 3 && graph.responders.size < nodes.length && !interrupted; i++) {
      graph = await crawl(registryHost.ns, cns);
    }
    say(`\n${graphText(graph)}`);
    await Deno.writeTextFile(graphFiles[0], topologyToDot(graph));
    await Deno.writeTextFile(graphFiles[1], topologyToSvg(graph, "re6st demo"));
    graphWritten = true;
    say(`tunnel graph written to ${graphFiles.join(" and ")}`);

    say(
      duration === undefined
        ? "\nthe network stays up; press Ctrl-C to stop and remove it"
        : `\nthe network stays up for ${duration} s`,
    );
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (interrupted) resolve();
      if (duration !== undefined) setTimeout(resolve, duration * 1000);
    });
    return interrupted ? 130 : status;
  } catch (e) {
    console.error(`re6st demo: ${(e as Error).message}`);
    return 1;
  } finally {
    say("tearing down: stopping every process, deleting the namespaces…");
    await Promise.all(overlay?.nodes.map((n) => n.proc && n.stop("SIGTERM")) ?? []);
    await world.dispose();
    if (keep) say(`logs kept in ${logDir}`);
    else await Deno.remove(work, { recursive: true }).catch(() => {});
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    if (graphWritten) say(`tunnel graph (DOT, SVG):\n  ${graphFiles.join("\n  ")}`);
    else if (cmd.options.out === undefined) await Deno.remove(outDir).catch(() => {});
    say("done");
  }
}
