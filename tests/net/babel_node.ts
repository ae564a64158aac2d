/**
 * A bare babeld on a test host, started with the real command-line builder and controlled
 * through the real socket client: the routing half of a re6st node, for namespaced tests.
 * Node subnets are `2001:db8:42:<n>::/64` inside network `2001:db8:42::/48`.
 */
import {
  type BabelArgsOptions,
  babeldArgs,
  babelInterfaceDefaults,
  babelSocketPath,
} from "../../lib/node/babel/args.ts";
import { BabeldProcess, type BabeldStartOptions } from "../../lib/node/babel/process.ts";
import type { BabelDump, BabelRoute } from "../../lib/node/babel/types.ts";
import type { Host, TestNet } from "./harness.ts";

/** Network `N` of the babel tests. */
export const NETWORK = "2001:db8:42::/48";

/** Subnet and address of test node `n`. */
export function nodeSubnet(n: number): { subnet: string; ip: string } {
  const hex = n.toString(16);
  return { subnet: `2001:db8:42:${hex}::/64`, ip: `2001:db8:42:${hex}::1` };
}

/** A babeld running on a test host. */
export interface BabelNode {
  host: Host;
  ip: string;
  subnet: string;
  babeld: BabeldProcess;
  args: string[];
  socketPath: string;
}

/**
 * Puts node `n`'s address on `lo` and prepares how to start babeld on `host` over
 * `interfaces` (hello 1 s). `over` tweaks the command line (HMAC keys, gateway…).
 */
export async function babelNodeOptions(
  net: TestNet,
  host: Host,
  n: number,
  interfaces: string[],
  over: Partial<BabelArgsOptions> = {},
): Promise<{ ip: string; subnet: string; start: BabeldStartOptions }> {
  const { subnet, ip } = nodeSubnet(n);
  await net.addr(host, "lo", `${ip}/64`);
  const dir = `${net.tmpDir}/${host.name}`;
  const logDir = `${net.logDir}/${host.name}-babeld`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.mkdir(logDir, { recursive: true });
  const opts: BabelArgsOptions = {
    hello: 1,
    logDir,
    stateDir: dir,
    runDir: dir,
    network: NETWORK,
    myIp: ip,
    subnetLen: 64,
    babelDefault: "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125",
    gateway: false,
    subtrees: true,
    extraArgs: [],
    tunnelInterfaces: [],
    lanInterfaces: interfaces,
    ...over,
  };
  const start: BabeldStartOptions = {
    args: babeldArgs(opts),
    interfaceDefaults: babelInterfaceDefaults(opts),
    socketPath: babelSocketPath(dir),
    outputFile: `${logDir}/output.log`,
    ns: host.ns,
  };
  return { ip, subnet, start };
}

/**
 * Puts node `n`'s address on `lo` and starts babeld on `host` over `interfaces` (hello 1 s).
 * `over` tweaks the command line (HMAC keys, gateway…).
 */
export async function startBabelNode(
  net: TestNet,
  host: Host,
  n: number,
  interfaces: string[],
  over: Partial<BabelArgsOptions> = {},
): Promise<BabelNode> {
  const { ip, subnet, start } = await babelNodeOptions(net, host, n, interfaces, over);
  const babeld = await BabeldProcess.start(start);
  net.onDispose(() => babeld.stop(2000));
  return { host, ip, subnet, babeld, args: start.args, socketPath: start.socketPath };
}

/** The installed route to `prefix` in `dump`, if any. */
export function installedRoute(dump: BabelDump, prefix: string): BabelRoute | undefined {
  return dump.routes.find((r) => r.installed && r.prefix === prefix);
}
