import { randomFillSync } from 'node:crypto';

import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

/**
 * Makes UUIDv7 ids (RFC 9562): 48 bits of milliseconds, then random bits, with a counter in the
 * random field so that ids made in the same millisecond still sort in creation order.
 */
export class UuidV7Generator {
  private lastMs = -1;
  private counter = 0;
  private readonly pool = Buffer.alloc(16 * 256);
  private poolOffset = this.pool.length;

  constructor(private readonly clock: Clock = systemClock) {}

  /** Returns a new UUIDv7 string. */
  next(): string {
    let ms = this.clock.now();
    if (ms <= this.lastMs) {
      // Same (or earlier: clock moved back) millisecond: keep monotonic by counting up.
      ms = this.lastMs;
      this.counter++;
      if (this.counter > 0xfff) {
        ms = ++this.lastMs;
        this.counter = 0;
      }
    } else {
      this.lastMs = ms;
      this.counter = 0;
    }
    if (this.poolOffset + 16 > this.pool.length) {
      randomFillSync(this.pool);
      this.poolOffset = 0;
    }
    const b = this.pool.subarray(this.poolOffset, this.poolOffset + 16);
    this.poolOffset += 16;
    b[0] = (ms / 2 ** 40) & 0xff;
    b[1] = (ms / 2 ** 32) & 0xff;
    b[2] = (ms >>> 24) & 0xff;
    b[3] = (ms >>> 16) & 0xff;
    b[4] = (ms >>> 8) & 0xff;
    b[5] = ms & 0xff;
    b[6] = 0x70 | ((this.counter >>> 8) & 0x0f);
    b[7] = this.counter & 0xff;
    b[8] = 0x80 | (b[8]! & 0x3f);
    let out = '';
    for (let i = 0; i < 16; i++) {
      out += HEX[b[i]!]!;
      if (i === 3 || i === 5 || i === 7 || i === 9) out += '-';
    }
    return out;
  }
}

/** Two hex digits for every byte value: formatting by table is several times faster than toString('hex'). */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string looks like a UUID. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
