/**
 * The registry service in-process for tests: an in-memory database, a real UDP socket on [::1]
 * as the co-located node, no babeld, and an injected clock.
 */
import type { CaSigner } from "../../lib/pki/ca.ts";
import { DEFAULT_COMMUNITIES } from "../../lib/registry/communities.ts";
import { RegistryDb } from "../../lib/registry/db.ts";
import { LocalNode } from "../../lib/registry/local_node.ts";
import type { ParameterSettings } from "../../lib/registry/network_config.ts";
import { Registry, type RegistryDeps } from "../../lib/registry/service.ts";
import { SessionTable } from "../../lib/registry/sessions.ts";
import { BabelSocket } from "../../lib/node/babel/socket.ts";
import { FakeLocalNode } from "./e2e_helpers.ts";

/** The network parameters of the in-process registry tests. */
export const TEST_PARAMETERS: ParameterSettings = {
  protocol: 10,
  minProtocol: 1,
  clientCount: 10,
  maxClients: 20,
  encrypt: false,
  hello: 15,
  tunnelRefresh: 300,
  sameCountry: [],
};

/** A started in-process registry and what a test steers or checks it with. */
export interface TestRegistry {
  registry: Registry;
  /** the co-located node: set `node.answer`, read `node.received` */
  node: FakeLocalNode;
  /** the registry's time (ms), starting at 2026-01-01 */
  clock: { now: number };
  db: RegistryDb;
  sessions: SessionTable;
}

/**
 * Starts a registry signed by `ca` (anonymous and e-mail prefixes /16, default communities);
 * `over` replaces any dependency. The caller closes `registry` and `node` (and `db`).
 */
export async function startTestRegistry(
  ca: { signer: CaSigner; certPem: string },
  over: Partial<RegistryDeps> = {},
): Promise<TestRegistry> {
  const node = new FakeLocalNode();
  await node.start();
  const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
  const deps: RegistryDeps = {
    db: new RegistryDb(":memory:"),
    signer: ca.signer,
    caPem: ca.certPem,
    dhPem: "dh",
    sessions: new SessionTable(),
    localNode: new LocalNode({ host: "::1", port: node.port }, 300),
    parameters: TEST_PARAMETERS,
    prefixLength: 16,
    anonymousPrefixLength: 16,
    gracePeriod: 100 * 86400,
    communities: DEFAULT_COMMUNITIES,
    babel: new BabelSocket("/nonexistent/babeld.sock"),
    now: () => clock.now,
    ...over,
  };
  const registry = new Registry(deps);
  registry.start();
  return { registry, node, clock, db: deps.db, sessions: deps.sessions };
}
