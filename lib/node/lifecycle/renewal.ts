/**
 * Certificate and CA renewal decisions (spec §4.4, §4.6), pure: time is passed in (epoch ms).
 *
 * - A certificate is due when `now ≥ notAfter − 30 d`, or (node certificate only) when its serial
 *   is in the CRL.
 * - An answer that is missing, empty or identical to the current PEM means "not renewed": look
 *   again in 24 h. A different answer is installed only if it passes `checkRenewedCertificate` /
 *   `checkNewCa` (same identity and key; a CA fetched over plain HTTP must not swap the trust
 *   anchor), then the file is re-evaluated.
 * - The earliest next check of the two files is when the daemon looks again (`stopDate`).
 */
import { Buffer } from "node:buffer";
import type { CaCertificate } from "../../pki/ca.ts";
import { parseCa } from "../../pki/ca.ts";
import { type NodeCertificate, parseNodeCertificate } from "../../pki/certificate.ts";
import { verifyCertificate } from "../../pki/verify.ts";

const DAY_MS = 86_400_000;

/** Renew this long before notAfter (`RENEW_PERIOD`). */
export const RENEW_PERIOD_MS = 30 * DAY_MS;
/** Look again this long after a renewal that gave nothing new. */
export const RETRY_MS = DAY_MS;
/** Longest delay `setTimeout` honours (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** When a certificate expiring at `notAfter` becomes due for renewal (epoch ms). */
export function renewalDate(notAfter: Date): number {
  return notAfter.getTime() - RENEW_PERIOD_MS;
}

/** True if a certificate must be renewed now: inside its last 30 days, or revoked. */
export function renewalDue(notAfter: Date, now: number, revoked = false): boolean {
  return revoked || now >= renewalDate(notAfter);
}

/** How a renewal answer compares with the current PEM. */
export type AnswerKind = "none" | "identical" | "new";

/** Classifies a registry answer (`undefined` = the call failed). */
export function classifyAnswer(current: string, answer: string | undefined): AnswerKind {
  if (answer === undefined || answer.trim() === "") return "none";
  return answer.trim() === current.trim() ? "identical" : "new";
}

/**
 * Next time to look at a file: after an answer that gave nothing new, 24 h later; otherwise its
 * renewal date (never in the past).
 */
export function nextCheck(notAfter: Date, now: number, notRenewed: boolean): number {
  return notRenewed ? now + RETRY_MS : Math.max(now, renewalDate(notAfter));
}

/** The earliest of the next checks: when the daemon looks again ("Restart to renew"). */
export function stopDate(...checks: number[]): number {
  return Math.min(...checks);
}

/** A `setTimeout` delay reaching `at` (clamped: a longer wait is re-armed on wake-up). */
export function timerDelay(at: number, now: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, at - now));
}

/**
 * Why a renewed node certificate must not replace `current`, or undefined if it may: it must
 * parse, keep the CN (prefix) and public key (our private key stays the same), be signed by the
 * CA and not be expired.
 */
export function checkRenewedCertificate(
  current: NodeCertificate,
  pem: string,
  ca: CaCertificate,
  now: number,
): string | undefined {
  let fresh: NodeCertificate;
  try {
    fresh = parseNodeCertificate(pem);
  } catch (e) {
    return `unparsable certificate (${(e as Error).message})`;
  }
  if (fresh.cn !== current.cn) return `certificate for another prefix (${fresh.cn})`;
  if (!Buffer.from(fresh.spki).equals(current.spki)) return "certificate for another key";
  const check = verifyCertificate(fresh, ca, { at: new Date(now) });
  if (!check.ok) return `certificate ${check.reason}`;
  return undefined;
}

/**
 * Why a fetched CA must not replace `current`, or undefined if it may: it must parse, keep the
 * public key (a re-issued CA, §4.1) and the network prefix (a new network needs `re6st conf`).
 */
export function checkNewCa(current: CaCertificate, pem: string): string | undefined {
  let fresh: CaCertificate;
  try {
    fresh = parseCa(pem);
  } catch (e) {
    return `unparsable CA (${(e as Error).message})`;
  }
  if (!Buffer.from(fresh.spki).equals(current.spki)) return "CA with another key";
  if (fresh.network !== current.network) return "CA for another network (run re6st conf)";
  return undefined;
}
