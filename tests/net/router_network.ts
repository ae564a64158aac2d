/**
 * The `router` topology of TESTNET.md on a TestNet: a registry host and `n` node hosts on one
 * switch (198.18.1.0/24), every node registered with the real `re6st conf` (registry node first)
 * and given its underlay address as `--ip`. Nodes are registered, not started: callers start them
 * together (`startAll`) so that the cold start is measured from one instant.
 */
import { Overlay, type OverlayNode } from "../../lib/demo/overlay.ts";
import type { PingTarget } from "../../lib/demo/reachability.ts";
import type { Host, TestNet } from "./harness.ts";
import { testOverlay } from "./test_overlay.ts";

/** A registered router network. */
export interface RouterNetwork {
  overlay: Overlay;
  /** registry node first */
  nodes: OverlayNode[];
  hosts: Host[];
}

/** Builds the network and registers every node (nothing runs but the registry). */
export async function routerNetwork(
  net: TestNet,
  n: number,
  params: { hello?: number; verbose?: number } = {},
): Promise<RouterNetwork> {
  const hosts: Host[] = [await net.host("registry")];
  for (let i = 1; i <= n; i++) hosts.push(await net.host(`node${i}`));
  const sw = await net.switch("lan", hosts);
  const overlay = await testOverlay(net, { hello: params.hello ?? 4, verbose: params.verbose });
  const ip = (h: Host) => sw.members.get(h)!.ip;
  const registry = await overlay.startRegistry(hosts[0], ip(hosts[0]));
  const others = await Promise.all(hosts.slice(1).map((h) => overlay.addNode(h, [ip(h)])));
  return { overlay, nodes: [registry, ...others], hosts };
}

/** Starts every node daemon at once. */
export async function startAll(nodes: readonly OverlayNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.start()));
}

/** Ping targets of the nodes. */
export function targetsOf(nodes: readonly OverlayNode[]): PingTarget[] {
  return nodes.map((n) => ({ name: n.host.name, ns: n.host.ns, address: n.address }));
}
