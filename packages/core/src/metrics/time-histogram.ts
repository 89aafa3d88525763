/**
 * The fixed log-scale histogram that job metrics keep of wait and run times. Fixed bins (the same
 * in every process and release) are what lets the histograms of several servers and minutes add up
 * by plain addition in storage; a quarter of an octave per bin keeps a percentile within about 9 %
 * of the true value.
 */

/** Bins per doubling of the time. */
const BINS_PER_OCTAVE = 4;

/** The last bin: everything from 2^29.75 ms (about 10 days) on. */
export const LAST_TIME_BIN = 120;

/**
 * The bin of a time in milliseconds: bin 0 holds [0, 1 ms), bin k >= 1 holds
 * [2^((k-1)/4), 2^(k/4)) ms, the last bin everything above.
 */
export function timeBin(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(LAST_TIME_BIN, 1 + Math.floor(Math.log2(ms) * BINS_PER_OCTAVE));
}

/** The value that stands for a bin: the geometric middle of its bounds (0.5 ms for bin 0). */
export function binValue(bin: number): number {
  if (bin <= 0) return 0.5;
  return 2 ** ((bin - 0.5) / BINS_PER_OCTAVE);
}

/** A histogram: count per bin. */
export type TimeHistogram = ReadonlyMap<number, number>;

/**
 * The `q` quantile (0 < q <= 1) of a histogram in milliseconds, by nearest rank: the value of the
 * bin that holds the ceil(q * total)-th smallest observation. Null for an empty histogram.
 */
export function histogramQuantile(histogram: TimeHistogram, q: number): number | null {
  let total = 0;
  for (const count of histogram.values()) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const bin of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bin)!;
    if (seen >= rank) return binValue(bin);
  }
  return binValue(LAST_TIME_BIN);
}
