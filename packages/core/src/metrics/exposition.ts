/**
 * The Prometheus text exposition format (version 0.0.4): counters, gauges and histograms with
 * labels, rendered as text. Small on purpose: Spool exposes a fixed set of metrics, and a client
 * library would be a dependency for every user.
 */

/** The content type of the text format, for the `Content-Type` header. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Label names to values. */
export type Labels = Readonly<Record<string, string>>;

type MetricType = 'counter' | 'gauge' | 'histogram';

/** One metric family: a name, its help text, and its samples per label set. */
abstract class Family {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
  ) {}

  /** The family's sample lines, without HELP and TYPE. */
  abstract samples(): string[];

  render(): string {
    const samples = this.samples();
    if (samples.length === 0) return '';
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n${samples.join('\n')}\n`;
  }
}

/** A value per label set: counters only go up, gauges are set. */
class Valued extends Family {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  protected add(labels: Labels, delta: number): void {
    const key = labelKey(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += delta;
    else this.values.set(key, { labels, value: delta });
  }

  protected put(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), { labels, value });
  }

  /** Forgets every label set (a gauge refilled at each collection). */
  clear(): void {
    this.values.clear();
  }

  samples(): string[] {
    return [...this.values.values()].map(({ labels, value }) => `${this.name}${renderLabels(labels)} ${formatNumber(value)}`);
  }
}

/** A counter: a total per label set that only goes up. The name ends in `_total`. */
export class Counter extends Valued {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  /** Adds `by` (default 1) to the label set's total. */
  inc(labels: Labels = {}, by = 1): void {
    this.add(labels, by);
  }
}

/** A gauge: a value per label set that is set as it is measured. */
export class Gauge extends Valued {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }

  /** Sets the label set's value. */
  set(labels: Labels, value: number): void {
    this.put(labels, value);
  }
}

/** A histogram: cumulative bucket counts, a sum and a count per label set. */
export class Histogram extends Family {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  /** `buckets`: upper bounds, ascending; `+Inf` is added. */
  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[],
  ) {
    super(name, help, 'histogram');
  }

  /** Records one observation. */
  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let series = this.series.get(key);
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i += 1) if (value <= this.buckets[i]!) series.counts[i]! += 1;
    series.sum += value;
    series.count += 1;
  }

  samples(): string[] {
    const lines: string[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, i) => lines.push(`${this.name}_bucket${renderLabels({ ...labels, le: formatNumber(bound) })} ${counts[i]}`));
      lines.push(`${this.name}_bucket${renderLabels({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${renderLabels(labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${renderLabels(labels)} ${count}`);
    }
    return lines;
  }
}

/** Renders families in order, as one exposition document. */
export function renderExposition(families: readonly Family[]): string {
  return families.map((f) => f.render()).join('');
}

export type { Family };

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function renderLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/** Label values escape backslash, double quote and line feed. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
