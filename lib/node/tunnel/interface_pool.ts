/**
 * Client TAP names `re6stnet1`, `re6stnet2`, … (spec §10.1): the lowest free name is reused, a
 * new one is made when none is free. TAP devices are never deleted while running (a kernel leak of
 * IPv6 multicast memberships left by babeld), so names are recycled instead.
 */
export class InterfacePool {
  readonly #free: number[] = [];
  #created = 0;

  /** Takes the lowest free interface name. */
  take(): string {
    if (this.#free.length === 0) return tapName(++this.#created);
    let min = 0;
    for (let i = 1; i < this.#free.length; i++) if (this.#free[i] < this.#free[min]) min = i;
    const [n] = this.#free.splice(min, 1);
    return tapName(n);
  }

  /** Returns an interface name to the pool. */
  release(ifname: string): void {
    const n = Number(ifname.slice("re6stnet".length));
    if (Number.isInteger(n) && n >= 1 && n <= this.#created && !this.#free.includes(n)) {
      this.#free.push(n);
    }
  }

  /** Every name made so far (they must all be declared to babeld). */
  created(): string[] {
    return Array.from({ length: this.#created }, (_, i) => tapName(i + 1));
  }
}

/** TAP names made so far, shared by every pool (a simulator runs 10⁵ of them). */
const NAMES: string[] = [];

/** `re6stnet<n>`, one string per `n`. */
function tapName(n: number): string {
  return NAMES[n] ??= `re6stnet${n}`;
}
