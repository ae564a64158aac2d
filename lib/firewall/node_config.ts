/**
 * The firewall input of a node described by its own options (`@re6stnet.conf`): OpenVPN
 * servers as the node will run them, `-i` and `-I` interfaces, `--gateway`, and the network
 * prefix encoded in the CA certificate's serial. Pure.
 */
import type { NodeOptions } from "../config/node_options.ts";
import type { FirewallInput, ServerPort, ServicePort } from "./input.ts";

/** What the node options do not say: UPnP gateway and extra services. */
export interface FirewallExtras {
  upnpGateway?: string;
  allow: ServicePort[];
}

/**
 * The servers the node starts: none in `--client` mode or with `--max-clients 0`, else one
 * per protocol on the first port given for it (spec §2.1).
 */
export function nodeServers(options: NodeOptions): ServerPort[] {
  if (options.client !== undefined || options.maxClients === 0) return [];
  const firstPerProto = new Map<string, ServerPort>();
  for (const s of options.pp) if (!firstPerProto.has(s.proto)) firstPerProto.set(s.proto, s);
  return [...firstPerProto.values()];
}

/** Builds the firewall input from node options and the network CIDR (from the CA). */
export function inputFromNode(
  options: NodeOptions,
  network: string,
  extras: FirewallExtras,
): FirewallInput {
  return {
    servers: nodeServers(options),
    tunnelInterfaces: ["re6stnet+"],
    lanInterfaces: options.interfaces,
    mainInterface: options.mainInterface,
    network,
    upnpGateway: extras.upnpGateway,
    gateway: options.gateway,
    allow: extras.allow,
  };
}
