/**
 * Configuration of a real `miniupnpd` (2.3, nftables backend) serving a NATed LAN: the config
 * file text and the nftables skeleton its rules go into. Pure text builders.
 *
 * Fact (miniupnpd 2.3.1): an external address in a reserved block — and 198.18.0.0/15, the only
 * IPv4 block our closed test networks may use, is one — makes it answer SSDP and SOAP but
 * refuse port forwarding ("Reserved / private IP address … Port forwarding is impossible");
 * `ext_ip=` with such an address is rejected at start-up, and 2.3.1 has no
 * `ext_allow_private_ipv4`. What does work: `ext_perform_stun=yes` with a STUN server outside
 * (`stun_responder.ts`) — when all four of its binding requests are answered unchanged, it logs
 * "Port forwarding is now enabled" and maps ports for real (DNAT checked end to end).
 */

/** Table and chains the config points miniupnpd at (created by `miniupnpdRuleset`). */
const TABLE = "miniupnpd";
const FORWARD_CHAIN = "miniupnpd";
const PREROUTING_CHAIN = "prerouting_miniupnpd";
const POSTROUTING_CHAIN = "postrouting_miniupnpd";
/** UDP port of the STUN server (the standard one). */
export const STUN_PORT = 3478;

/** What `miniupnpdConfig` needs. */
export interface MiniupnpdOptions {
  /** external (WAN) interface */
  extIfname: string;
  /** inside (LAN) interface it listens on */
  listenIfname: string;
  /** inside IPv4 block allowed to map ports, CIDR */
  insideCidr: string;
  /** lease file path (in the run's temp dir) */
  leaseFile: string;
  /** device UUID */
  uuid: string;
  /** IPv4 of a STUN server on the outside (port 3478): enables port forwarding, see above */
  stunHost?: string;
}

/**
 * The config file: UPnP IGD + NAT-PMP on the inside interface; mappings of ports 1024-65535
 * allowed from the inside block only, everything else denied.
 */
export function miniupnpdConfig(o: MiniupnpdOptions): string {
  return [
    `ext_ifname=${o.extIfname}`,
    `listening_ip=${o.listenIfname}`,
    "port=0",
    "enable_upnp=yes",
    "enable_natpmp=yes",
    "secure_mode=yes",
    "system_uptime=yes",
    `lease_file=${o.leaseFile}`,
    `uuid=${o.uuid}`,
    `upnp_table_name=${TABLE}`,
    `upnp_nat_table_name=${TABLE}`,
    `upnp_forward_chain=${FORWARD_CHAIN}`,
    `upnp_nat_chain=${PREROUTING_CHAIN}`,
    `upnp_nat_postrouting_chain=${POSTROUTING_CHAIN}`,
    ...(o.stunHost
      ? ["ext_perform_stun=yes", `ext_stun_host=${o.stunHost}`, `ext_stun_port=${STUN_PORT}`]
      : []),
    `allow 1024-65535 ${o.insideCidr} 1024-65535`,
    "deny 0-65535 0.0.0.0/0 0-65535",
    "",
  ].join("\n");
}

/** nftables ruleset (for `nft -f -`) holding the chains miniupnpd fills; forwarding accepted. */
export function miniupnpdRuleset(): string {
  return `table inet ${TABLE} {
  chain forward {
    type filter hook forward priority 0; policy accept;
    jump ${FORWARD_CHAIN}
  }
  chain ${FORWARD_CHAIN} {
  }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump ${PREROUTING_CHAIN}
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump ${POSTROUTING_CHAIN}
  }
  chain ${PREROUTING_CHAIN} {
  }
  chain ${POSTROUTING_CHAIN} {
  }
}
`;
}
