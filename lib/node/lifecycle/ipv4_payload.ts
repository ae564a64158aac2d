/**
 * IPv4 payload (spec §5.5), pure: from the network parameters `ipv4 = "NET/M"` and
 * `ipv4_sublen = PLEN` and the subject serialNumber `s` of our certificate, the node's IPv4
 * block `x/n` (n = M + PLEN, x = NET | s << (32 − n)) and address (x + 1 if n < 31, else x).
 * Enabled only if PLEN ≤ 16 and s < 2^PLEN (and n ≤ 32); otherwise "IPv4 payload disabled".
 *
 * From it: the kernel routes and address of `ipv4KernelPlan`, the `--ifconfig` pair of every
 * OpenVPN (`Ipv4Payload` of lib/node/openvpn/args.ts: `{ address, netmask }`), and babeld's
 * `ipv4` input of lib/node/babel/args.ts (`{ ip, len }`: `redistribute ip IP/n eq n`,
 * `install pref-src IP`).
 */

/** The node's IPv4 payload. */
export interface Ipv4Assignment {
  /** the whole payload network, normalised, e.g. `198.19.0.0/16` */
  network: string;
  /** our block `x/n`, what babel announces, e.g. `198.19.3.0/24` */
  block: string;
  /** our IPv4 address, e.g. `198.19.3.1` */
  address: string;
  /** n = M + PLEN */
  prefixLength: number;
  /** netmask of `/n`, e.g. `255.255.255.0` */
  netmask: string;
}

/** Result: the assignment, or why the payload is disabled. */
export type Ipv4Result = { ok: true; value: Ipv4Assignment } | { ok: false; reason: string };

/** Parses a dotted quad to an unsigned 32-bit integer; undefined if malformed. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** Dotted quad of an unsigned 32-bit integer. */
export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/**
 * Our IPv4 payload from `ipv4`, `ipv4_sublen` and the subject serial (decimal text, as in the
 * certificate). Never throws: bad values give `{ ok: false }` with the reason.
 */
export function ipv4Assignment(
  ipv4: unknown,
  sublen: unknown,
  subjectSerial: string | undefined,
): Ipv4Result {
  const fail = (why: string): Ipv4Result => ({
    ok: false,
    reason: `IPv4 payload disabled: ${why}`,
  });
  const m = typeof ipv4 === "string" ? /^([\d.]+)\/(\d{1,2})$/.exec(ipv4) : null;
  const base = m ? parseIPv4(m[1]) : undefined;
  const netLen = m ? Number(m[2]) : NaN;
  if (base === undefined || !(netLen <= 32)) return fail(`bad ipv4 ${JSON.stringify(ipv4)}`);
  if (typeof sublen !== "number" || !Number.isInteger(sublen) || sublen < 0) {
    return fail(`bad ipv4_sublen ${JSON.stringify(sublen)}`);
  }
  if (sublen > 16) return fail(`ipv4_sublen ${sublen} > 16`);
  const n = netLen + sublen;
  if (n > 32) return fail(`${ipv4} with ipv4_sublen ${sublen} exceeds 32 bits`);
  if (subjectSerial === undefined || !/^\d{1,20}$/.test(subjectSerial)) {
    return fail("our certificate has no numeric subject serialNumber");
  }
  const s = BigInt(subjectSerial);
  if (s >= 1n << BigInt(sublen)) return fail(`subject serial ${s} ≥ 2^${sublen}`);
  const net = (base & mask(netLen)) >>> 0;
  const x = (net | (Number(s) * 2 ** (32 - n))) >>> 0;
  const address = n < 31 ? x + 1 : x;
  return {
    ok: true,
    value: {
      network: `${formatIPv4(net)}/${netLen}`,
      block: `${formatIPv4(x)}/${n}`,
      address: formatIPv4(address),
      prefixLength: n,
      netmask: formatIPv4(mask(n)),
    },
  };
}

/** One change of kernel state, as `ip -4` arguments. */
export interface Ipv4KernelPlan {
  /** routes to add, each the argument list after `ip -4 route replace` */
  routes: string[][];
  /** addresses to add: `ip -4 addr replace <cidr> dev <dev>` */
  addresses: Array<{ cidr: string; dev: string }>;
}

/**
 * Kernel state for the payload (§5.5): `unreachable NET/M proto static` always (traffic to
 * unassigned payload addresses is refused instead of leaking to a default route). Without client
 * tunnels (base manager) the address also goes on the main interface: on `lo` as a /32 (an
 * address with a shorter prefix on `lo` would make the whole block local) plus
 * `unreachable x/n proto static`, which babeld then announces; on another interface as `IP/n`
 * (its connected route is announced). With client tunnels, OpenVPN's `--ifconfig` puts `IP/n`
 * on every TAP interface instead.
 */
export function ipv4KernelPlan(
  a: Ipv4Assignment,
  o: { clientTunnels: boolean; mainInterface: string },
): Ipv4KernelPlan {
  const plan: Ipv4KernelPlan = {
    routes: [["unreachable", a.network, "proto", "static"]],
    addresses: [],
  };
  if (o.clientTunnels) return plan;
  if (o.mainInterface === "lo") {
    plan.addresses.push({ cidr: `${a.address}/32`, dev: "lo" });
    plan.routes.push(["unreachable", a.block, "proto", "static"]);
  } else {
    plan.addresses.push({ cidr: `${a.address}/${a.prefixLength}`, dev: o.mainInterface });
  }
  return plan;
}

/** OpenVPN's `--ifconfig` pair for every tunnel (lib/node/openvpn/args.ts `Ipv4Payload`). */
export function openvpnIfconfig(a: Ipv4Assignment): { address: string; netmask: string } {
  return { address: a.address, netmask: a.netmask };
}

/** babeld's IPv4 input (lib/node/babel/args.ts `BabelArgsOptions.ipv4`). */
export function babelIpv4(a: Ipv4Assignment): { ip: string; len: number } {
  return { ip: a.address, len: a.prefixLength };
}
