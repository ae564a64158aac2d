/**
 * The babeld command line of spec §11.1, adapted to stock babeld 1.12.1 (Debian). Pure.
 *
 * Adaptations (spec §11.5; each checked against stock 1.12.1 in namespaces):
 * - `-G <run>/babeld.sock` (read-write text socket, see socket.ts) replaces the fork's `-X`.
 * - `-l` (carrier sense): our TAP devices are persistent and reused (openvpn/tap.ts), so when an
 *   OpenVPN exits its TAP stays up without carrier; without `-l` babeld would keep the
 *   neighbours and routes behind it until they time out, and the tunnel manager would go on
 *   trusting them; with `-l` it drops them at once (measured at hello 4: all pairs ping again
 *   80 s after an OpenVPN server was killed without `-l`, 20 s with it).
 *   re6stnet does not need it: its TAPs vanish with their OpenVPN.
 * - HMAC: stock babeld attaches one key per interface (`default … key sign`) and verifies with
 *   that key only; a second, merely defined `key … id accept` is parsed but never used to verify.
 *   So the accept key is not passed. While a distinct accept key exists (the two middle phases of
 *   a §7.3 rotation, `(K1,K2,-)` and `(-,K2,K1)`) the statement gets
 *   `accept-bad-signatures true`, so that nodes still signing with the other key keep routing
 *   with us until the rotation ends. That is the upstream transition crutch: during the rotation
 *   window unsigned/foreign packets are accepted too; once the registry drops the old key
 *   (phase `(K2,-,-)`) every node restarts babeld strict again.
 *   An empty accept value (phase `(-,K1,"")`) means `accept-bad-signatures true`, as in the fork.
 * - Non-gateway with subtrees: the fork's `install ip ::/0 eq 0 src-ip ::/0 src-eq 0 src-prefix
 *   NET` (rewrite a legacy plain default route into `::/0 from NET`) is parsed by stock babeld but
 *   `src-prefix` only acts in `redistribute` filters, so the legacy plain route would be installed
 *   as a plain default route. Instead such plain default routes are refused
 *   (`in ip ::/0 eq 0 src-ip ::/0 src-eq 0 deny`); source-specific default routes of protocol ≥ 8
 *   gateways are accepted unchanged.
 * - Non-gateway without subtrees: the fork's `ipv6-subtrees false` ("strip the source prefix")
 *   does not exist upstream (there `false` emulates source routing with rules and tables, and the
 *   default is chosen from the kernel version), so the statement is dropped: upstream keeps the
 *   route source-specific by itself. The three filters (accept only `::/0 from NET`, refuse other
 *   source-specific default routes, never re-announce a default route) are kept.
 */

/** Everything the command line depends on. */
export interface BabelArgsOptions {
  /** network parameter `hello` (seconds) */
  hello: number;
  logDir: string;
  stateDir: string;
  runDir: string;
  /** re6st network `N` in CIDR form, e.g. `2001:db8:42::/48` */
  network: string;
  /** this node's address (`N‖P` with last bit 1), e.g. `2001:db8:42:5::1` */
  myIp: string;
  /** length of this node's subnet `N‖P` */
  subnetLen: number;
  /** network parameter `babel_default`, e.g. `max-rtt-penalty 5000 rtt-max 500 rtt-decay 125` */
  babelDefault: string;
  /** `babel_hmac_sign` (raw key, ≤ 32 bytes); absent or empty = no HMAC */
  hmacSign?: Uint8Array;
  /** `babel_hmac_accept` (raw key); absent, or empty = accept bad signatures */
  hmacAccept?: Uint8Array;
  /** IPv4 payload: node IPv4 and its prefix length `n4` */
  ipv4?: { ip: string; len: number };
  /** `--gateway` */
  gateway: boolean;
  /** the kernel supports IPv6 subtrees (source-specific routes) */
  subtrees: boolean;
  /** user `-B` arguments, passed verbatim */
  extraArgs: string[];
  /** tunnel interfaces (declared `type tunnel`), even if their device does not exist yet */
  tunnelInterfaces: string[];
  /** LAN interfaces from `-i` */
  lanInterfaces: string[];
}

/** Path of babeld's read-write local socket in `runDir`. */
export function babelSocketPath(runDir: string): string {
  return `${runDir}/babeld.sock`;
}

function hex(key: Uint8Array): string {
  return Array.from(key, (b) => b.toString(16).padStart(2, "0")).join("");
}

function checkSignKey(key: Uint8Array): void {
  if (key.length > 32) {
    throw new Error(`babel HMAC sign key must be at most 32 bytes, got ${key.length}`);
  }
}

/**
 * The per-interface options of babeld's `default` statement: `babel_default`, then with an HMAC
 * sign key `key sign` (and `accept-bad-signatures true` while an accept key exists). Empty when
 * there are none.
 */
export function babelInterfaceDefaults(
  o: Pick<BabelArgsOptions, "babelDefault" | "hmacSign" | "hmacAccept">,
): string {
  const def = [o.babelDefault.trim()];
  if (o.hmacSign?.length) {
    checkSignKey(o.hmacSign);
    def.push("key sign");
    if (o.hmacAccept !== undefined) def.push("accept-bad-signatures true");
  }
  return def.filter((d) => d).join(" ");
}

/** What an interface statement declares besides the `default` options. */
export interface BabelInterfaceOptions {
  /** `type tunnel` */
  tunnel?: boolean;
  rxcost?: number;
}

/**
 * The `interface` statement declaring `name` at run time (babeld's socket). Stock babeld 1.12
 * merges its `default` statement only into the interfaces known when it starts; an interface
 * declared later through the socket (a drained or restored TAP, spec §10.6) gets only the options
 * of its own statement, so `defaults` (`babelInterfaceDefaults` of the running babeld) are
 * repeated in it: without them the interface would send unsigned packets, which strict HMAC
 * peers drop. The interface's own options come last and win, as over `default` at start.
 */
export function babelInterfaceStatement(
  name: string,
  defaults: string,
  o: BabelInterfaceOptions = {},
): string {
  const words = ["interface", name];
  if (defaults.trim()) words.push(defaults.trim());
  if (o.tunnel) words.push("type tunnel");
  if (o.rxcost !== undefined) words.push(`rxcost ${o.rxcost}`);
  return words.join(" ");
}

/** The `-C` statements, in spec order (without the `-C`). */
export function babelStatements(o: BabelArgsOptions): string[] {
  const [netAddr, netLenText] = o.network.split("/");
  const netLen = Number(netLenText);
  const net = `${netAddr}/${netLen}`;
  const s: string[] = [
    "redistribute local deny",
    `redistribute ip ${o.myIp}/${o.subnetLen} eq ${o.subnetLen}`,
  ];
  if (o.hmacSign?.length) {
    checkSignKey(o.hmacSign);
    s.push(`key type blake2s128 id sign value ${hex(o.hmacSign)}`);
  }
  const def = babelInterfaceDefaults(o);
  if (def) s.push(`default ${def}`);
  if (o.ipv4) s.push(`redistribute ip ${o.ipv4.ip}/${o.ipv4.len} eq ${o.ipv4.len}`);
  if (o.gateway) {
    s.push(`redistribute ip ::/0 eq 0 src-prefix ${net}`);
    if (!o.subtrees) s.push(`in ip ${net} ge ${netLen}`, "in ip ::/0 deny");
  } else if (o.subtrees) {
    s.push("in ip ::/0 eq 0 src-ip ::/0 src-eq 0 deny");
  } else {
    s.push(
      `in ip ::/0 eq 0 src-ip ${net} src-eq ${netLen}`,
      "in ip ::/0 eq 0 src-ip ::/0 src-ge 1 deny",
      "out ip ::/0 eq 0 deny",
    );
  }
  s.push("redistribute deny", `install pref-src ${o.myIp}`);
  if (o.ipv4) s.push(`install pref-src ${o.ipv4.ip}`);
  return s;
}

/** The full babeld argument list (without the program name). */
export function babeldArgs(o: BabelArgsOptions): string[] {
  const h = String(o.hello);
  const args = [
    "-h",
    h,
    "-H",
    h,
    "-L",
    `${o.logDir}/babeld.log`,
    "-S",
    `${o.stateDir}/babeld.state`,
    "-I",
    "",
    "-s",
    "-l",
  ];
  for (const st of babelStatements(o)) args.push("-C", st);
  args.push("-G", babelSocketPath(o.runDir));
  args.push(...o.extraArgs);
  for (const tun of o.tunnelInterfaces) args.push("-C", `interface ${tun} type tunnel`);
  args.push(...o.lanInterfaces, ...o.tunnelInterfaces);
  return args;
}
