/**
 * What babeld tells us, as plain data. Produced by the babeld shell from stock babeld 1.12's
 * text local socket (`dump`), consumed by the pure dump interpretation (spec §11.4) and the
 * tunnel manager core.
 */

/** `add interface <name> up true|false [ipv6 <ll>] …` */
export interface BabelInterface {
  name: string;
  up: boolean;
  ipv6?: string;
}

/** `add neighbour <id> address <ll> if <name> reach … rxcost … txcost … cost …` */
export interface BabelNeighbour {
  id: string;
  /** link-local address of the neighbour */
  address: string;
  ifname: string;
  reach: number;
  rxcost: number;
  txcost: number;
  cost: number;
  rtt?: number;
}

/** `add route <id> prefix <p> from <src> installed yes|no id <rid> metric … refmetric … via … if …` */
export interface BabelRoute {
  id: string;
  /** destination in CIDR form, e.g. `2001:db8:42:1::/64` or `198.19.3.0/24` */
  prefix: string;
  /** source prefix in CIDR form (`::/0` when not source-specific) */
  from: string;
  installed: boolean;
  routerId: string;
  metric: number;
  refmetric: number;
  /** link-local address of the next hop neighbour */
  via: string;
  ifname: string;
}

/** One `dump` of babeld's state. */
export interface BabelDump {
  interfaces: BabelInterface[];
  neighbours: BabelNeighbour[];
  routes: BabelRoute[];
}
