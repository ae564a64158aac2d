/**
 * Decoder of the data section of a MaxMind DB (format v2): every field starts with a control byte
 * giving its type (3 bits, 0 = extended type in the next byte) and its payload size (5 bits, 29–31
 * = size in the 1–3 following bytes); pointers (type 1) refer to other fields by their offset from
 * the section start. Every read is bounds-checked, nesting and the number of decoded values are
 * capped, so malformed or hostile files end in an `MmdbError`, never in a crash or a long loop.
 */
import { MmdbError } from "./error.ts";

/** A decoded value: utf8 → string, uint16/uint32/int32/float/double → number, uint64/uint128 → bigint. */
export type MmdbValue = string | number | bigint | boolean | Uint8Array | MmdbValue[] | MmdbMap;

/** A decoded map (keys are always strings). */
export interface MmdbMap {
  [key: string]: MmdbValue;
}

/** Deepest nesting of maps, arrays and pointers accepted in one value. */
export const MAX_DEPTH = 32;
/** Most values decoded for one top-level value (a country record holds about fifty). */
export const MAX_VALUES = 100_000;

const enum Type {
  Pointer = 1,
  Utf8 = 2,
  Double = 3,
  Bytes = 4,
  Uint16 = 5,
  Uint32 = 6,
  Map = 7,
  Int32 = 8,
  Uint64 = 9,
  Uint128 = 10,
  Array = 11,
  CacheContainer = 12,
  EndMarker = 13,
  Boolean = 14,
  Float = 15,
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Reads values out of one section (`start`..`end` of `bytes`); pointers are relative to `start`. */
export class DataDecoder {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #start: number;
  readonly #end: number;
  #budget = 0;

  constructor(bytes: Uint8Array, start: number, end: number) {
    if (start < 0 || end > bytes.length || start > end) {
      throw new MmdbError(`section ${start}..${end} outside a ${bytes.length}-byte file`);
    }
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#start = start;
    this.#end = end;
  }

  /** Size of the section in bytes. */
  get size(): number {
    return this.#end - this.#start;
  }

  /** Decodes the value at `offset` (from the section start). Throws `MmdbError` if malformed. */
  decode(offset: number): MmdbValue {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.size) {
      throw new MmdbError(`offset ${offset} outside the ${this.size}-byte section`);
    }
    this.#budget = MAX_VALUES;
    return this.#value(this.#start + offset, 0)[0];
  }

  #need(pos: number, n: number): void {
    if (pos + n > this.#end) {
      throw new MmdbError(`truncated field at byte ${pos - this.#start} of the section`);
    }
  }

  #uint(pos: number, n: number): number {
    this.#need(pos, n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.#bytes[pos + i];
    return v;
  }

  #bigUint(pos: number, n: number): bigint {
    this.#need(pos, n);
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(this.#bytes[pos + i]);
    return v;
  }

  /** The value at absolute position `pos` and the position after it. */
  #value(pos: number, depth: number): [MmdbValue, number] {
    if (depth > MAX_DEPTH) throw new MmdbError(`values nested deeper than ${MAX_DEPTH}`);
    if (--this.#budget < 0) throw new MmdbError(`a record holds more than ${MAX_VALUES} values`);
    const at = pos - this.#start;
    this.#need(pos, 1);
    const control = this.#bytes[pos++];
    let type = control >> 5;
    if (type === Type.Pointer) {
      const ss = (control >> 3) & 3;
      const high = control & 7;
      let target: number;
      if (ss === 0) target = high * 0x100 + this.#uint(pos, 1);
      else if (ss === 1) target = high * 0x10000 + this.#uint(pos, 2) + 2048;
      else if (ss === 2) target = high * 0x1000000 + this.#uint(pos, 3) + 526336;
      else target = this.#uint(pos, 4);
      const next = pos + ss + 1;
      if (target >= this.size) {
        throw new MmdbError(`pointer at byte ${at} to ${target}, past the section end`);
      }
      const abs = this.#start + target;
      if (this.#bytes[abs] >> 5 === Type.Pointer) {
        throw new MmdbError(`pointer at byte ${at} points to another pointer`);
      }
      return [this.#value(abs, depth + 1)[0], next];
    }
    if (type === 0) {
      this.#need(pos, 1);
      type = 7 + this.#bytes[pos++];
      if (type < Type.Int32 || type > Type.Float) {
        throw new MmdbError(`unknown extended type ${type} at byte ${at}`);
      }
    }
    let size = control & 31;
    if (size >= 29) {
      const extra = size - 28;
      size = [29, 285, 65821][extra - 1] + this.#uint(pos, extra);
      pos += extra;
    }
    switch (type) {
      case Type.Utf8: {
        this.#need(pos, size);
        try {
          return [utf8.decode(this.#bytes.subarray(pos, pos + size)), pos + size];
        } catch {
          throw new MmdbError(`invalid UTF-8 string at byte ${at}`);
        }
      }
      case Type.Bytes:
        this.#need(pos, size);
        return [this.#bytes.slice(pos, pos + size), pos + size];
      case Type.Double:
        this.#fixed(at, "double", size, 8);
        this.#need(pos, 8);
        return [this.#view.getFloat64(pos), pos + 8];
      case Type.Float:
        this.#fixed(at, "float", size, 4);
        this.#need(pos, 4);
        return [this.#view.getFloat32(pos), pos + 4];
      case Type.Uint16:
        this.#atMost(at, "uint16", size, 2);
        return [this.#uint(pos, size), pos + size];
      case Type.Uint32:
        this.#atMost(at, "uint32", size, 4);
        return [this.#uint(pos, size), pos + size];
      case Type.Int32:
        this.#atMost(at, "int32", size, 4);
        return [this.#uint(pos, size) | 0, pos + size];
      case Type.Uint64:
        this.#atMost(at, "uint64", size, 8);
        return [this.#bigUint(pos, size), pos + size];
      case Type.Uint128:
        this.#atMost(at, "uint128", size, 16);
        return [this.#bigUint(pos, size), pos + size];
      case Type.Boolean:
        if (size > 1) throw new MmdbError(`boolean of size ${size} at byte ${at}`);
        return [size === 1, pos];
      case Type.Map: {
        this.#fits(pos, at, "map", 2 * size);
        const entries: [string, MmdbValue][] = [];
        for (let i = 0; i < size; i++) {
          const [key, afterKey] = this.#value(pos, depth + 1);
          if (typeof key !== "string") {
            throw new MmdbError(`map key of type ${typeof key} in the map at byte ${at}`);
          }
          const [value, afterValue] = this.#value(afterKey, depth + 1);
          entries.push([key, value]);
          pos = afterValue;
        }
        return [Object.fromEntries(entries), pos];
      }
      case Type.Array: {
        this.#fits(pos, at, "array", size);
        const items: MmdbValue[] = [];
        for (let i = 0; i < size; i++) {
          const [item, after] = this.#value(pos, depth + 1);
          items.push(item);
          pos = after;
        }
        return [items, pos];
      }
      case Type.CacheContainer:
        throw new MmdbError(`data cache container used as a value at byte ${at}`);
      default: // Type.EndMarker
        throw new MmdbError(`end marker used as a value at byte ${at}`);
    }
  }

  #fixed(at: number, name: string, size: number, want: number): void {
    if (size !== want) throw new MmdbError(`${name} of size ${size} at byte ${at}`);
  }

  #atMost(at: number, name: string, size: number, max: number): void {
    if (size > max) throw new MmdbError(`${name} of size ${size} at byte ${at}`);
  }

  /** Each item takes at least one byte: a count that cannot fit is rejected at once. */
  #fits(pos: number, at: number, name: string, items: number): void {
    if (pos + items > this.#end) {
      throw new MmdbError(`${name} at byte ${at} claims ${items} items past the section end`);
    }
  }
}
