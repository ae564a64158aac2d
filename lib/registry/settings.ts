/**
 * What the registry needs from its command line (spec §2.2), already validated. `registry.ts`
 * builds it from the parsed options.
 */
import type { ParameterSettings } from "./network_config.ts";

/** Validated registry settings. */
export interface RegistrySettings {
  /** TCP port of the HTTP server. */
  port: number;
  /** IPv4 / IPv6 bind addresses; empty ⇒ no listener of that family. */
  bind4: string;
  bind6: string;
  /** sqlite database path. */
  db: string;
  /** DH parameters file served by `getDh`. */
  dh: string;
  /** CA certificate and key files. */
  ca: string;
  key: string;
  /** SMTP `host[:port]` or mbox path; undefined ⇒ e-mail registration disabled. */
  mailhost?: string;
  smtpUser?: string;
  smtpPassword?: string;
  smtpStarttls: boolean;
  /** Prefix length of e-mail registrations (0 disables them). */
  prefixLength: number;
  /** Prefix length of anonymous registrations (0 disables them). */
  anonymousPrefixLength: number;
  /** Directory of the co-located node's run files. */
  run: string;
  /** Path of the co-located babeld's text local socket (default `<run>/babeld.sock`). */
  babelSocket: string;
  /** Where the co-located node's UDP port 326 is. */
  nodeHost: string;
  nodePort: number;
  /** Client addresses allowed to call private methods. */
  authorizedOrigins: string[];
  /** Community file path, if any. */
  community?: string;
  /** Seconds after expiry before certificates and tokens are purged. */
  gracePeriod: number;
  /** Parameters distributed to nodes. */
  parameters: ParameterSettings;
}
