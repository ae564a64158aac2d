/**
 * The registry's Prometheus metrics (served at `/metrics`): HTTP requests by method and status
 * with their latency, what the service reports through `RegistryEvent`s, and figures read from
 * the service at each scrape (sessions, tokens, prefix blocks, network version).
 */
import { type Counter, type Histogram } from "../metrics/metrics.ts";
import { METRICS_CONTENT_TYPE, MetricsRegistry } from "../metrics/registry.ts";
import type { RegistryEvent, RegistryStats } from "./service.ts";

export { METRICS_CONTENT_TYPE };

/** Upper bounds (seconds) of the request latency buckets. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The registry's metrics; `stats` is read at each render. */
export class RegistryMetrics {
  readonly #m = new MetricsRegistry();
  readonly #requests: Counter;
  readonly #latency: Histogram;
  readonly #certificates: Counter;
  readonly #tokens: Counter;
  readonly #bootstrap: Counter;
  readonly #timeouts: Counter;

  constructor(stats: () => RegistryStats) {
    const m = this.#m;
    this.#requests = m.counter({
      name: "re6st_registry_requests_total",
      help: "HTTP requests by RPC method (or page) and status code",
      labels: ["method", "status"],
    });
    this.#latency = m.histogram({
      name: "re6st_registry_request_duration_seconds",
      help: "Time to answer an HTTP request, by RPC method (or page)",
      labels: ["method"],
      buckets: LATENCY_BUCKETS,
    });
    this.#certificates = m.counter({
      name: "re6st_registry_certificates_total",
      help: "Certificates issued, renewed and revoked",
      labels: ["action"],
    });
    for (const action of ["issued", "renewed", "revoked"]) this.#certificates.inc({ action }, 0);
    this.#tokens = m.counter({
      name: "re6st_registry_tokens_created_total",
      help: "Registration tokens created (mailed or added by an administrator)",
    });
    this.#bootstrap = m.counter({
      name: "re6st_registry_bootstrap_answers_total",
      help: "getBootstrapPeer answers: a peer given, or empty (204)",
      labels: ["answer"],
    });
    for (const answer of ["given", "empty"]) this.#bootstrap.inc({ answer }, 0);
    this.#timeouts = m.counter({
      name: "re6st_registry_local_node_timeouts_total",
      help: "Queries the co-located node did not answer in time",
      labels: ["query"],
    });
    for (const query of ["address", "topology"]) this.#timeouts.inc({ query }, 0);

    const sessions = m.gauge({
      name: "re6st_registry_sessions",
      help: "Nodes with a session (hello) in memory",
      collect: () => sessions.set({}, stats().sessions),
    });
    const tokens = m.gauge({
      name: "re6st_registry_tokens",
      help: "Registration tokens not used yet",
      collect: () => tokens.set({}, stats().tokens),
    });
    const prefixes = m.gauge({
      name: "re6st_registry_prefixes",
      help: "Prefix blocks by state: allocated (certificate), reserved, free",
      labels: ["state"],
      collect: () => {
        for (const [state, n] of Object.entries(stats().prefixes)) prefixes.set({ state }, n);
      },
    });
    const version = m.gauge({
      name: "re6st_registry_network_version",
      help: "Version number of the network parameters",
      collect: () => version.set({}, stats().networkVersion),
    });
  }

  /** Counts one HTTP request (`method` is the RPC or page name, `unknown` otherwise). */
  request(method: string, status: number, seconds: number): void {
    this.#requests.inc({ method, status: String(status) });
    this.#latency.observe({ method }, seconds);
  }

  /** Counts a service event. */
  event(e: RegistryEvent): void {
    switch (e.type) {
      case "certificate":
        return this.#certificates.inc({ action: e.action });
      case "token_created":
        return this.#tokens.inc();
      case "bootstrap":
        return this.#bootstrap.inc({ answer: e.answer });
      case "local_node_timeout":
        return this.#timeouts.inc({ query: e.query });
    }
  }

  /** The text exposition (Prometheus format 0.0.4). */
  render(): string {
    return this.#m.render();
  }
}
