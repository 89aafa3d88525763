/**
 * A strict reader of the Prometheus text exposition format (0.0.4), written from its specification
 * for the tests: it refuses what a Prometheus server would refuse (a sample before its TYPE, a
 * family split in two, a bad name or escape, a histogram whose buckets are not cumulative or whose
 * `+Inf` bucket differs from its count), so a test that reads a document also validates it.
 */

export interface Sample {
  /** The sample's own name: `x`, or `x_bucket`, `x_sum`, `x_count` of a histogram `x`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function readExposition(text: string): Map<string, Family> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the document must end with a line feed');
  const families = new Map<string, Family>();
  let current: Family | null = null;
  for (const [index, line] of text.split('\n').entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, 'HELP' | 'TYPE', string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name, ${where}`);
      let family = families.get(name);
      if (family && family !== current) throw new Error(`family ${name} appears twice, ${where}`);
      if (!family) {
        family = { name, help: '', type: 'untyped', samples: [] };
        families.set(name, family);
      }
      current = family;
      if (kind === 'HELP') family.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      else if (['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) family.type = rest as Family['type'];
      else throw new Error(`bad type, ${where}`);
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = readSample(line, where);
    const base = current && (sample.name === current.name || (current.type === 'histogram' && [`${current.name}_bucket`, `${current.name}_sum`, `${current.name}_count`].includes(sample.name)));
    if (!base || !current) throw new Error(`sample outside its family (TYPE first), ${where}`);
    current.samples.push(sample);
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function readSample(line: string, where: string): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(line);
  if (!head) throw new Error(`bad sample, ${where}`);
  const name = head[1]!;
  let at = head[0].length;
  const labels: Record<string, string> = {};
  if (head[2]) {
    while (line[at] !== '}') {
      const label = /^([^=]+)="/.exec(line.slice(at));
      if (!label || !LABEL_NAME.test(label[1]!)) throw new Error(`bad label, ${where}`);
      at += label[0].length;
      let value = '';
      for (;;) {
        const c = line[at];
        if (c === undefined) throw new Error(`unterminated label value, ${where}`);
        at += 1;
        if (c === '"') break;
        if (c === '\\') {
          const escaped = line[at];
          at += 1;
          if (escaped === 'n') value += '\n';
          else if (escaped === '\\' || escaped === '"') value += escaped;
          else throw new Error(`bad escape in a label value, ${where}`);
        } else value += c;
      }
      if (label[1]! in labels) throw new Error(`label ${label[1]} twice, ${where}`);
      labels[label[1]!] = value;
      if (line[at] === ',') at += 1;
      else if (line[at] !== '}') throw new Error(`expected , or } after a label, ${where}`);
    }
    at += 1;
  }
  const rest = line.slice(at);
  const number = /^ (\S+)( -?\d+)?$/.exec(rest);
  if (!number) throw new Error(`bad value, ${where}`);
  const raw = number[1]!;
  const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
  if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`bad value, ${where}`);
  return { name, labels, value };
}

function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      entry.buckets.push([le === '+Inf' ? Infinity : Number(le), sample.value]);
    } else if (sample.name.endsWith('_count')) entry.count = sample.value;
    else if (sample.name.endsWith('_sum')) entry.sum = sample.value;
  }
  for (const [key, { buckets, count, sum }] of series) {
    if (count === undefined || sum === undefined) throw new Error(`${family.name}${key}: no _count or _sum`);
    const last = buckets.at(-1);
    if (!last || last[0] !== Infinity || last[1] !== count) throw new Error(`${family.name}${key}: the +Inf bucket must come last and equal _count`);
    for (let i = 1; i < buckets.length; i += 1) {
      if (buckets[i]![0] <= buckets[i - 1]![0] || buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${family.name}${key}: buckets not ascending and cumulative`);
    }
  }
}

/** The one sample of `family` (or of its `_bucket`/`_sum`/`_count` name) whose labels include `labels`. */
export function find(families: Map<string, Family>, family: string, labels: Record<string, string> = {}, sampleName = family): Sample | undefined {
  return families.get(family)?.samples.find((s) => s.name === sampleName && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
