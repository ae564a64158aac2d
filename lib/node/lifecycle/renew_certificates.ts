/**
 * Renewal of the node certificate and the CA on disk (spec §4.4): the thin shell around the
 * decisions of `renewal.ts`. Asks the registry (`renewCertificate` / `getCa` of
 * `lib/registry/client.ts`) only when a file is due, installs a good answer with an atomic file
 * replacement, and tells when to look again.
 *
 * Daemon use: at start-up (before the certificate is used) and again at `nextCheck` (arm with
 * `timerDelay`); when `certRenewed` or `caRenewed`, restart whatever holds the old files
 * (OpenVPN, peer protocol), see `reaction.ts`.
 */
import { logger } from "../../log.ts";
import { parseCa } from "../../pki/ca.ts";
import { parseNodeCertificate } from "../../pki/certificate.ts";
import type { RegistryClient } from "../../registry/client.ts";
import { replaceFileAtomically } from "./atomic_file.ts";
import {
  checkNewCa,
  checkRenewedCertificate,
  classifyAnswer,
  nextCheck,
  renewalDue,
  stopDate,
} from "./renewal.ts";

const log = logger("renewal");

/** What `renewCertificates` needs. */
export interface RenewOptions {
  /** the registry calls used (a `RegistryClient` with session credentials) */
  registry: Pick<RegistryClient, "renewCertificate" | "getCa">;
  certPath: string;
  caPath: string;
  /** revoked X.509 serials (network parameter `crl`): our serial there forces a renewal */
  crl: readonly bigint[];
  /** clock, epoch ms */
  now: () => number;
}

/** Outcome of one pass. */
export interface RenewResult {
  certRenewed: boolean;
  caRenewed: boolean;
  /** when to look again (epoch ms): the earlier of the two files' next checks */
  nextCheck: number;
}

async function ask(call: () => Promise<string | undefined>): Promise<string | undefined> {
  try {
    return await call();
  } catch (e) {
    log.warn(`registry refused: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * One renewal pass over `cert.crt` then `ca.crt`. Each file is renewed at most once per pass:
 * a renewed file that is still due (a registry issuing short certificates) is looked at again
 * 24 h later rather than in a loop. Never throws for registry trouble; a file that cannot be
 * read or parsed is an error (the daemon could not run with it either).
 */
export async function renewCertificates(o: RenewOptions): Promise<RenewResult> {
  let ca = parseCa(await Deno.readTextFile(o.caPath));
  const certPem = await Deno.readTextFile(o.certPath);
  let cert = parseNodeCertificate(certPem);
  let certRenewed = false;
  let certNotRenewed = false;
  const revoked = o.crl.includes(cert.serial);
  if (renewalDue(cert.notAfter, o.now(), revoked)) {
    const why = revoked ? "revoked" : `expiring ${cert.notAfter.toISOString()}`;
    log.info(`renewing our certificate (${why})`);
    const answer = await ask(() => o.registry.renewCertificate());
    const kind = classifyAnswer(certPem, answer);
    const bad = kind === "new" ? checkRenewedCertificate(cert, answer!, ca, o.now()) : undefined;
    if (kind === "new" && bad === undefined) {
      await replaceFileAtomically(o.certPath, answer!);
      cert = parseNodeCertificate(answer!);
      certRenewed = true;
      log.info(
        `certificate renewed: serial ${cert.serial}, expires ${cert.notAfter.toISOString()}`,
      );
      certNotRenewed = renewalDue(cert.notAfter, o.now(), o.crl.includes(cert.serial));
    } else {
      log.warn(`certificate not renewed (${bad ?? kind}), retry tomorrow`);
      certNotRenewed = true;
    }
  }
  let caRenewed = false;
  let caNotRenewed = false;
  if (renewalDue(ca.notAfter, o.now())) {
    log.info(`refreshing the CA (expiring ${ca.notAfter.toISOString()})`);
    const caPem = await Deno.readTextFile(o.caPath);
    const answer = await ask(() => o.registry.getCa());
    const kind = classifyAnswer(caPem, answer);
    const bad = kind === "new" ? checkNewCa(ca, answer!) : undefined;
    if (kind === "new" && bad === undefined) {
      await replaceFileAtomically(o.caPath, answer!);
      ca = parseCa(answer!);
      caRenewed = true;
      log.info(`CA renewed: expires ${ca.notAfter.toISOString()}`);
      caNotRenewed = renewalDue(ca.notAfter, o.now());
    } else {
      log.warn(`CA not renewed (${bad ?? kind}), retry tomorrow`);
      caNotRenewed = true;
    }
  }
  const now = o.now();
  return {
    certRenewed,
    caRenewed,
    nextCheck: stopDate(
      nextCheck(cert.notAfter, now, certNotRenewed),
      nextCheck(ca.notAfter, now, caNotRenewed),
    ),
  };
}
