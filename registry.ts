/**
 * `re6st registry` — the network's registry (spec §2.2, §3–§7): certificate authority, prefix
 * allocation, tokens and mails, network parameters, bootstrap and admin RPCs over HTTP.
 * Wires lib/registry/* together; all decisions live there.
 */
import { parseCommandLine } from "./lib/config/cli.ts";
import { registrySchema } from "./lib/config/registry_options.ts";
import { logger, setSink, setVerbosity } from "./lib/log.ts";
import { loadCaSigner } from "./lib/pki/ca.ts";
import { fingerprint } from "./lib/pki/fingerprint.ts";
import { CountryDatabase, GEOIP_ENV } from "./lib/geoip/country.ts";
import { DEFAULT_COMMUNITIES, parseCommunities } from "./lib/registry/communities.ts";
import { RegistryDb } from "./lib/registry/db.ts";
import { createApp, lazyPage, type Page, serve } from "./lib/registry/http.ts";
import { installPages } from "./lib/registry/install_pages.ts";
import { METRICS_CONTENT_TYPE, RegistryMetrics } from "./lib/registry/metrics.ts";
import { LOCAL_TIMEOUT_MS, LocalNode } from "./lib/registry/local_node.ts";
import { babelSocketPath } from "./lib/node/babel/args.ts";
import { BabelSocket } from "./lib/node/babel/socket.ts";
import { createMailer } from "./lib/registry/mail.ts";
import { Registry } from "./lib/registry/service.ts";
import { SessionTable } from "./lib/registry/sessions.ts";
import { PROTOCOL } from "./lib/version.ts";

const log = logger("registry");

/** Environment variable overriding the co-located node's UDP port (tests; default 326). */
export const NODE_PORT_ENV = "RE6ST_REGISTRY_NODE_PORT";

function openLogFile(path: string): void {
  try {
    const file = Deno.openSync(path, { append: true, create: true });
    const enc = new TextEncoder();
    setSink((line) => file.writeSync(enc.encode(line + "\n")));
  } catch (e) {
    log.warn(`cannot open log file ${path} (${(e as Error).message}); logging to stderr`);
  }
}

/** Runs the registry until SIGINT/SIGTERM; returns the exit status. */
export async function run(args: string[]): Promise<number> {
  const opts = parseCommandLine(registrySchema, args);
  if (typeof opts === "number") return opts;
  setVerbosity(opts.verbose);
  openLogFile(opts.logfile);

  let registry: Registry, db: RegistryDb, sessions: SessionTable, caFingerprint: string;
  const metrics = new RegistryMetrics(() => registry.stats());
  try {
    const caPem = Deno.readTextFileSync(opts.ca);
    const signer = loadCaSigner(caPem, Deno.readTextFileSync(opts.key));
    caFingerprint = fingerprint(signer.ca.der);
    const dhPem = Deno.readTextFileSync(opts.dh);
    const communities = opts.community
      ? parseCommunities(Deno.readTextFileSync(opts.community))
      : DEFAULT_COMMUNITIES;
    const geoip = opts.geoip ?? (Deno.env.get(GEOIP_ENV) || undefined);
    if (opts.sameCountry.length && !geoip) {
      throw new Error(`--same-country needs a GeoIP database: set ${GEOIP_ENV} (or --geoip)`);
    }
    const geolocator = geoip ? CountryDatabase.open(geoip) : undefined;
    if (geolocator) {
      const m = geolocator.reader.metadata;
      log.info(`GeoIP database ${geoip}: ${m.databaseType}, built ${m.buildEpoch}`);
    }
    db = new RegistryDb(opts.db);
    sessions = new SessionTable();
    registry = new Registry({
      db,
      signer,
      caPem,
      dhPem,
      sessions,
      localNode: new LocalNode({
        host: "::1",
        port: Number(Deno.env.get(NODE_PORT_ENV) ?? 326),
      }),
      parameters: {
        protocol: PROTOCOL,
        minProtocol: opts.minProtocol,
        clientCount: opts.clientCount,
        maxClients: opts.maxClients,
        encrypt: opts.encrypt,
        hello: opts.hello,
        tunnelRefresh: opts.tunnelRefresh,
        ipv4: opts.ipv4,
        sameCountry: opts.sameCountry,
      },
      prefixLength: opts.prefixLength,
      anonymousPrefixLength: opts.anonymousPrefixLength,
      gracePeriod: opts.gracePeriod,
      communities,
      geolocator,
      babel: new BabelSocket(babelSocketPath(opts.run), {
        connectTimeoutMs: LOCAL_TIMEOUT_MS,
        replyTimeoutMs: LOCAL_TIMEOUT_MS,
      }),
      mailer: opts.mailhost &&
        createMailer({
          mailhost: opts.mailhost,
          sender: signer.ca.email,
          user: opts.smtpUser,
          password: opts.smtpPwd,
          starttls: opts.smtpStarttls,
        }),
      onEvent: (e) => metrics.event(e),
    });
    registry.start();
  } catch (e) {
    log.error(`cannot start: ${(e as Error).message}`);
    console.error(`re6st registry: ${(e as Error).message}`);
    return 1;
  }

  let done!: (status: number) => void;
  const finished = new Promise<number>((resolve) => done = resolve);
  registry.onFatal = (e) => {
    log.error(e.message);
    done(1);
  };
  const pages: Record<string, Page> = {
    ...installPages({ publicUrl: opts.publicUrl, caFingerprint, artifacts: opts.artifacts }),
    "/metrics": {
      origins: opts.metricsOrigins,
      handle: () =>
        new Response(metrics.render(), { headers: { "content-type": METRICS_CONTENT_TYPE } }),
    },
    "/admin": lazyPage(
      { origins: opts.authorizedOrigins, methods: ["GET", "POST"] },
      async () =>
        (await import("./lib/registry/admin.ts")).adminPage(registry, {
          origins: opts.authorizedOrigins,
        }),
    ),
  };
  const server = serve(
    createApp(registry, sessions, opts.authorizedOrigins, {
      pages,
      onRequest: (name, status, seconds) => metrics.request(name, status, seconds),
    }),
    opts.port,
    opts.ipv4Bind ?? "",
    opts.ipv6Bind ?? "",
  );
  log.info(
    `listening on ${server.addresses.map((a) => `[${a.hostname}]:${a.port}`).join(", ")}`,
  );
  await registry.announce();
  const stop = () => done(0);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  const status = await finished;
  Deno.removeSignalListener("SIGTERM", stop);
  Deno.removeSignalListener("SIGINT", stop);
  registry.close();
  await server.shutdown();
  db.close();
  return status;
}

if (import.meta.main) Deno.exit(await run(Deno.args));
