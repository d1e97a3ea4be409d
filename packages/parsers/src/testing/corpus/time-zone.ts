import type { CorpusTruth, CorpusTruthRow } from './truth.js';
import { TruthTable } from './truth.js';

/**
 * The truth per calendar day of `timeZone`, regrouped from the hourly rows. Exact for zones whose offset
 * is a whole number of hours at every instant of the corpus (UTC, New York, Tokyo, Auckland…); throws for
 * the others (Kolkata, Kathmandu…), where an hour can straddle two local days.
 */
export function truthInTimeZone(truth: CorpusTruth, timeZone: string): CorpusTruthRow[] {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  const minutes = new Intl.DateTimeFormat('en-US', { timeZone, minute: '2-digit' });
  const table = new TruthTable((timestamp) => {
    const instant = new Date(timestamp);
    if (Number(minutes.format(instant)) !== 0)
      throw new Error(`corpus truth: ${timeZone} is not a whole-hour offset`);
    return format.format(instant);
  });
  for (const row of truth.hourlyRows) table.add({ ...row, timestamp: `${row.date}:00:00.000Z` });
  return table.rows();
}
