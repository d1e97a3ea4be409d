import { builtinAdapters } from '../../builtin-adapters.js';
import type { ParseIssue, UsageEvent } from '../../contract.js';
import { processEnvironment, readEvents } from '../../reader.js';
import { mergeUsageEvents } from '../../usage-merge.js';
import { type CorpusTruthRow, TruthTable } from './truth.js';

/** Every billed call under a home folder, found through the built-in adapters' own roots. */
export async function readHomeUsage(
  home: string,
  options: { usageOnly?: boolean } = {},
): Promise<{ usage: UsageEvent[]; issues: ParseIssue[] }> {
  const environment = processEnvironment({ HOME: home }, home);
  const events = [];
  const issues: ParseIssue[] = [];
  for (const adapter of builtinAdapters()) {
    for (const root of adapter.resolveRoots(environment)) {
      if (!environment.exists(root.path)) continue;
      for await (const event of readEvents(adapter, root.path, {
        ...options,
        onIssue: (issue) => issues.push(issue),
      }))
        events.push(event);
    }
  }
  return { usage: mergeUsageEvents(events), issues };
}

/** Token sums per UTC day, tool and model, in the corpus truth's shape. */
export function sumUsageByDay(usage: readonly UsageEvent[]): CorpusTruthRow[] {
  const table = new TruthTable();
  for (const event of usage) table.add(event);
  return table.rows().filter((row) => row.totalTokens !== 0);
}
