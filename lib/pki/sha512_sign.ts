/**
 * `signSha512(key, data)`: RSASSA-PKCS1-v1_5 SHA-512 signature, as fast as this host allows.
 *
 * Deno's node:crypto signs RSA in pure Rust (~4 ms for 2048 bits on our machines), which caps a
 * registry far below its ≥ 330 certificates/s target. When FFI is permitted and the system
 * OpenSSL (`libcrypto.so.3`, present wherever OpenVPN is) loads, signing goes through
 * `EVP_DigestSign` instead (~0.35 ms); otherwise it falls back to `crypto.sign`. PKCS#1 v1.5
 * signatures are deterministic, so both paths give identical bytes (tested).
 * `nativeSigning()` tells which path is in use.
 */
import crypto from "node:crypto";

const SYMBOLS = {
  d2i_AutoPrivateKey: { parameters: ["pointer", "buffer", "i64"], result: "pointer" },
  EVP_PKEY_free: { parameters: ["pointer"], result: "void" },
  EVP_MD_CTX_new: { parameters: [], result: "pointer" },
  EVP_MD_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_sha512: { parameters: [], result: "pointer" },
  EVP_DigestSignInit: {
    parameters: ["pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  EVP_DigestSign: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "usize"],
    result: "i32",
  },
} as const;

type LibCrypto = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: LibCrypto | null | undefined;

function libcrypto(): LibCrypto | null {
  if (lib !== undefined) return lib;
  lib = null;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state === "granted") {
      lib = Deno.dlopen("libcrypto.so.3", SYMBOLS).symbols;
    }
  } catch {
    lib = null;
  }
  return lib;
}

const handles = new WeakMap<crypto.KeyObject, Deno.PointerObject | null>();
const freeHandles = new FinalizationRegistry<Deno.PointerObject>((p) => lib?.EVP_PKEY_free(p));

function nativeKey(l: LibCrypto, key: crypto.KeyObject): Deno.PointerObject | null {
  let handle = handles.get(key);
  if (handle !== undefined) return handle;
  const der = new Uint8Array(key.export({ type: "pkcs8", format: "der" }));
  const pp = new BigUint64Array([BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(der)))]);
  handle = l.d2i_AutoPrivateKey(null, pp, BigInt(der.length));
  handles.set(key, handle);
  if (handle) freeHandles.register(key, handle);
  return handle;
}

/** True when signatures go through the system OpenSSL. */
export function nativeSigning(): boolean {
  return libcrypto() !== null;
}

/** RSASSA-PKCS1-v1_5 SHA-512 signature of `data` with a private RSA key. */
export function signSha512(key: crypto.KeyObject, data: Uint8Array): Uint8Array {
  const l = libcrypto();
  const pkey = l && key.type === "private" ? nativeKey(l, key) : null;
  if (l && pkey) {
    const ctx = l.EVP_MD_CTX_new();
    try {
      const size = (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
      const sig = new Uint8Array(size);
      const len = new BigUint64Array([BigInt(size)]);
      if (
        ctx && l.EVP_DigestSignInit(ctx, null, l.EVP_sha512(), null, pkey) === 1 &&
        l.EVP_DigestSign(ctx, sig, len, data, BigInt(data.length)) === 1 &&
        Number(len[0]) === size
      ) {
        return sig;
      }
    } finally {
      if (ctx) l.EVP_MD_CTX_free(ctx);
    }
  }
  return new Uint8Array(crypto.sign("sha512", data, key));
}
