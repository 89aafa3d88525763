const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const isNum = (s: string): boolean => /^\d+$/.test(s);
const pad = (s: string): string => s.padStart(2, '0');
const ordinal = (n: number): string => {
  const suffix = n % 10 === 1 && n !== 11 ? 'st' : n % 10 === 2 && n !== 12 ? 'nd' : n % 10 === 3 && n !== 13 ? 'rd' : 'th';
  return `${n}${suffix}`;
};

/** The day-of-week phrase; null for every day, undefined for a pattern it does not know. */
function dayOfWeek(field: string): string | null | undefined {
  if (field === '*') return null;
  if (field === '1-5') return 'on weekdays';
  if (field === '0,6' || field === '6,0') return 'on weekends';
  const parts = field.split(',');
  if (parts.every((p) => isNum(p) && Number(p) <= 7)) return `on ${parts.map((p) => DAYS[Number(p) % 7]!).join(', ')}`;
  const range = /^(\d)-(\d)$/.exec(field);
  if (range) return `${DAYS[Number(range[1]) % 7]} to ${DAYS[Number(range[2]) % 7]}`;
  return undefined;
}

/**
 * Describes a cron expression in plain language for common patterns ("At 02:00 every day",
 * "Every 5 minutes"); returns null when the pattern is not one it knows, so callers show the raw
 * expression instead.
 */
export function describeCron(expression: string): string | null {
  const expanded = MACROS[expression.trim()] ?? expression.trim();
  const fields = expanded.split(/\s+/);
  if (fields.length === 6) fields.shift(); // seconds field: described at minute precision only when it is 0
  if (fields.length !== 5) return null;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const dowText = dayOfWeek(dow);
  if (dowText === undefined) return null;
  let when: string | null = null;
  const step = /^\*\/(\d+)$/;
  if (minute === '*' && hour === '*') when = 'Every minute';
  else if (step.test(minute) && hour === '*') when = `Every ${step.exec(minute)![1]} minutes`;
  else if (isNum(minute) && hour === '*') when = minute === '0' ? 'Every hour' : `At minute ${Number(minute)} of every hour`;
  else if (isNum(minute) && step.test(hour)) when = `Every ${step.exec(hour)![1]} hours at minute ${Number(minute)}`;
  else if (isNum(minute) && isNum(hour)) when = `At ${pad(hour)}:${pad(minute)}`;
  else if (isNum(minute) && /^\d+(,\d+)+$/.test(hour)) when = `At ${hour.split(',').map((h) => `${pad(h)}:${pad(minute)}`).join(', ')}`;
  if (when === null) return null;
  const parts = [when];
  const daily = /^At \d/.test(when);
  if (dom !== '*') {
    if (!isNum(dom)) return null;
    parts.push(`on the ${ordinal(Number(dom))}`);
  }
  if (month !== '*') {
    if (!isNum(month) || Number(month) < 1 || Number(month) > 12) return null;
    parts.push(dom === '*' ? `every day in ${MONTHS[Number(month) - 1]}` : `of ${MONTHS[Number(month) - 1]}`);
  } else if (dom !== '*') parts.push('of every month');
  if (dowText) parts.push(dowText);
  else if (daily && dom === '*' && month === '*') parts.push('every day');
  return parts.join(' ');
}
