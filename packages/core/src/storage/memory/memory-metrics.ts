import type { MetricsCount, MetricsExpireParams, MetricsReadParams, MetricsRecordParams } from '../metrics-contract.js';

/** The memory storage's job metrics: counts by key, added to. */
export class MemoryMetrics {
  readonly #counts = new Map<string, MetricsCount>();

  record(params: MetricsRecordParams): void {
    for (const c of params.counts) {
      const key = JSON.stringify([c.period, c.at.getTime(), c.name, c.queue, c.series, c.bin]);
      const stored = this.#counts.get(key);
      if (stored) stored.count += c.count;
      else this.#counts.set(key, { ...c, at: new Date(c.at.getTime()) });
    }
  }

  read(params: MetricsReadParams): MetricsCount[] {
    const from = params.from.getTime();
    const to = params.to.getTime();
    const found: MetricsCount[] = [];
    for (const c of this.#counts.values()) {
      const at = c.at.getTime();
      if (c.period === params.period && at >= from && at < to) found.push({ ...c, at: new Date(at) });
    }
    return found;
  }

  expire(params: MetricsExpireParams): { deleted: number } {
    const before = params.before.getTime();
    let deleted = 0;
    for (const [key, c] of this.#counts) {
      if (c.period === params.period && c.at.getTime() < before) {
        this.#counts.delete(key);
        deleted++;
      }
    }
    return { deleted };
  }
}
