import { allPolicies } from '../../src/replay/policies';
import { replay, type Figures } from '../../src/replay/replay';
import { figuresTable, traceHeading } from '../../src/replay/table';
import { allTraces } from './traces';

/** The whole comparison as Markdown: one table per trace, one row per policy. */
export async function replayAll(): Promise<string> {
  const parts: string[] = [];
  for (const trace of allTraces()) {
    const rows: Figures[] = [];
    for (const policy of allPolicies()) rows.push(await replay(trace, policy));
    parts.push(traceHeading(trace), figuresTable(rows));
  }
  return parts.join('\n\n') + '\n';
}
