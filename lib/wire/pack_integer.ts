/**
 * re6st's variable-length, order-preserving unsigned integer (spec §0 "packInteger").
 * The top 3 bits of the first byte give the number of extra bytes; byte-wise order of
 * encodings equals numeric order. Range: 0 … 0x202020202020201f.
 */

/** Largest value packInteger can encode. */
export const PACK_INTEGER_MAX = 0x202020202020201fn;

/** Encodes `value` (number or bigint) as packInteger bytes. */
export function packInteger(value: number | bigint): Uint8Array {
  let i = BigInt(value);
  if (i < 0n || i > PACK_INTEGER_MAX) throw new RangeError(`packInteger: ${value} out of range`);
  for (let n = 0n; n < 8n; n++) {
    const x = 32n << (8n * n);
    if (i < x) {
      let v = i + n * x;
      const out = new Uint8Array(Number(n) + 1);
      for (let k = out.length - 1; k >= 0; k--) {
        out[k] = Number(v & 0xffn);
        v >>= 8n;
      }
      return out;
    }
    i -= x;
  }
  throw new RangeError(`packInteger: ${value} out of range`);
}

/** Decodes a packInteger at the start of `bytes`; returns the value and its byte length. */
export function unpackInteger(bytes: Uint8Array): { value: bigint; length: number } {
  if (bytes.length === 0) throw new RangeError("unpackInteger: empty input");
  const n = bytes[0] >> 5;
  if (bytes.length < n + 1) throw new RangeError("unpackInteger: truncated input");
  let v = 0n;
  for (let k = 0; k <= n; k++) v = (v << 8n) | BigInt(bytes[k]);
  const bn = BigInt(n);
  let value = v - bn * (32n << (8n * bn));
  for (let k = 0n; k < bn; k++) value += 32n << (8n * k);
  return { value, length: n + 1 };
}
