/**
 * The registry's topology answer (spec §3.6) as a graph: `{"<cn>": ["<cn>", …], "": [cn …]}`
 * where each key → value pair is a client tunnel (key is the client) and `""` lists the nodes
 * that answered the crawl. Pure.
 */

/** A directed graph of client tunnels. */
export interface TopologyGraph {
  /** Every node seen (keys, tunnel ends, responders), sorted. */
  nodes: string[];
  /** Client tunnels `[client, server]`, deduplicated, without self-loops, sorted. */
  edges: [string, string][];
  /** Nodes that answered the crawl; the others are drawn as silent. */
  responders: Set<string>;
}

/** Validates and converts a topology answer (parsed JSON or its text). Throws a clear error. */
export function parseTopology(json: unknown): TopologyGraph {
  let data = json;
  if (typeof json === "string") {
    try {
      data = JSON.parse(json);
    } catch (e) {
      throw new Error(`topology: not JSON (${(e as Error).message})`);
    }
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new Error("topology: expected an object mapping CN to a list of CNs");
  }
  const nodes = new Set<string>();
  const edges = new Map<string, [string, string]>();
  let responders: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
      throw new Error(`topology: the entry for '${key}' must be a list of non-empty CNs`);
    }
    if (key === "") {
      responders = value;
      continue;
    }
    nodes.add(key);
    for (const to of value as string[]) {
      nodes.add(to);
      if (to !== key) edges.set(JSON.stringify([key, to]), [key, to]);
    }
  }
  responders.forEach((r) => nodes.add(r));
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    nodes: [...nodes].sort(cmp),
    edges: [...edges.values()].sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1])),
    responders: new Set(responders),
  };
}
