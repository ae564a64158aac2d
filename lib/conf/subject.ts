/**
 * Certificate subjects for `re6st conf` (spec §2.3): which `--req` fields are acceptable, the
 * fields kept from a previous certificate, and overlaying `--req` fields on them.
 */
import { parseCertificate } from "../pki/certificate.ts";
import { ATTRIBUTE_OIDS, encodeName, nameFields, type SubjectField } from "../pki/name.ts";

/** Fields the registry sets, never copied from an old certificate nor accepted in `--req`. */
export const REGISTRY_FIELDS: readonly string[] = ["CN", "serialNumber"];

/** Why `--req KEY VALUE` cannot be used, or undefined if it can. */
export function subjectFieldProblem(key: string, value: string): string | undefined {
  if (REGISTRY_FIELDS.includes(key) || key === "serial") {
    return `subject field '${key}' is reserved (set by the registry)`;
  }
  if (!Object.hasOwn(ATTRIBUTE_OIDS, key)) {
    const known = Object.keys(ATTRIBUTE_OIDS).filter((k) => !REGISTRY_FIELDS.includes(k));
    return `unknown subject field '${key}' (known: ${known.join(", ")})`;
  }
  try {
    encodeName([[key, value]]);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Subject fields of a PEM certificate, except CN and serialNumber, in order. */
export function reusableSubject(certPem: string): SubjectField[] {
  return nameFields(parseCertificate(certPem).subject, REGISTRY_FIELDS);
}

/** `base` with each `overlay` field replacing the field of the same name, or appended. */
export function overlaySubject(
  base: readonly SubjectField[],
  overlay: readonly SubjectField[],
): SubjectField[] {
  const out = [...base];
  for (const [key, value] of overlay) {
    const i = out.findIndex(([k]) => k === key);
    if (i >= 0) out[i] = [key, value];
    else out.push([key, value]);
  }
  return out;
}
