/**
 * Default routes and gateways (spec §11.3), the kernel side. babeld's filters for `--gateway` /
 * non-gateway × subtrees / no subtrees are built by lib/node/babel/args.ts; this file reads the
 * kernel's IPv6 routes (`ip -6 route show` text) to check what they lead to, pure:
 *
 * - a `--gateway` node exports its kernel default route as `::/0 from NET`: it needs a plain
 *   (non-babel) default route to export (statement 61), and not one of protocol `boot` (what
 *   `ip route add` makes by default, printed without `proto`): babeld's filters never match
 *   `boot` routes unless they name that protocol (checked with stock 1.12.1), so such a route
 *   is silently not exported — `proto static` (or `ra`, `dhcp`, …) is;
 * - a non-gateway node must hold babel default routes only as `default from NET`, so host traffic
 *   with other source addresses never enters re6st (statement 60);
 * - without IPv6 subtrees (stock babeld keeps routes source-specific by itself, see args.ts) the
 *   operator is told the node will not forward Internet-bound traffic and that the host should
 *   have no default route of its own.
 */

/** One IPv6 route as `ip -6 route show` prints it. */
export interface Route6 {
  /** `unicast`, `unreachable`, `prohibit`, `blackhole`, … */
  type: string;
  /** destination, `default` written as `::/0` */
  dst: string;
  /** source prefix, `::/0` when the route is not source-specific */
  from: string;
  via?: string;
  dev?: string;
  proto?: string;
}

const TYPES = new Set(["unicast", "unreachable", "prohibit", "blackhole", "local", "throw"]);

function cidr(text: string): string {
  if (text === "default") return "::/0";
  return text.includes("/") ? text : `${text}/128`;
}

/** Parses `ip -6 route show` output; lines that are not routes are skipped. */
export function parseRoutes6(text: string): Route6[] {
  const routes: Route6[] = [];
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    const type = TYPES.has(words[0]) ? words.shift()! : "unicast";
    const dst = words.shift();
    if (!dst || !(dst === "default" || dst.includes(":"))) continue;
    const route: Route6 = { type, dst: cidr(dst), from: "::/0" };
    for (let i = 0; i + 1 < words.length; i++) {
      const [k, v] = [words[i], words[i + 1]];
      if (k === "from") route.from = cidr(v);
      else if (k === "via") route.via = v;
      else if (k === "dev") route.dev = v;
      else if (k === "proto") route.proto = v;
      else continue;
      i++;
    }
    routes.push(route);
  }
  return routes;
}

/** Default routes installed by babel, split by whether they are sourced from `network`. */
export function babelDefaultRoutes(
  routes: readonly Route6[],
  network: string,
): { fromNetwork: Route6[]; other: Route6[] } {
  const babel = routes.filter((r) => r.dst === "::/0" && r.proto === "babel");
  return {
    fromNetwork: babel.filter((r) => r.from === network),
    other: babel.filter((r) => r.from !== network),
  };
}

/** The host's own (non-babel, not source-specific) default routes. */
export function hostDefaultRoutes(routes: readonly Route6[]): Route6[] {
  return routes.filter((r) =>
    r.dst === "::/0" && r.from === "::/0" && r.proto !== "babel" && r.type === "unicast"
  );
}

/** What the node checks at start-up and when asked (status), as operator warnings. */
export interface GatewayCheck {
  gateway: boolean;
  subtrees: boolean;
  /** re6st network `N` in CIDR form */
  network: string;
  routes: readonly Route6[];
}

/** Operator warnings about default routes (§11.3); empty when all is as it should be. */
export function gatewayWarnings(c: GatewayCheck): string[] {
  const warnings: string[] = [];
  const own = hostDefaultRoutes(c.routes);
  if (c.gateway && own.length === 0) {
    warnings.push("--gateway: this host has no IPv6 default route to export into the network");
  } else if (c.gateway && own.every((r) => r.proto === undefined || r.proto === "boot")) {
    warnings.push(
      "--gateway: babeld does not export a default route of protocol boot; " +
        "add it with `proto static`",
    );
  }
  if (!c.gateway && !c.subtrees) {
    warnings.push(
      "kernel without IPv6 subtrees: this node will not forward Internet-bound traffic",
    );
    if (own.length) warnings.push("kernel without IPv6 subtrees: remove the host's default route");
  }
  const { other } = babelDefaultRoutes(c.routes, c.network);
  if (!c.gateway && other.length) {
    const list = other.map((r) => `default from ${r.from} via ${r.via ?? "?"}`).join(", ");
    warnings.push(`babel installed default routes not sourced from ${c.network}: ${list}`);
  }
  return warnings;
}
