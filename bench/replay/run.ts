import { traceFromRecord } from '../../src/replay/from-record';
import { allPolicies, plannerPolicy, RecordInMemory } from '../../src/replay/policies';
import { replay, type Figures } from '../../src/replay/replay';
import { SimEngine } from '../../src/replay/sim-engine';
import { figuresTable, traceHeading, verdictLine } from '../../src/replay/table';
import type { Trace } from '../../src/replay/trace';
import { allTraces } from './traces';

/** A budget no trace reaches (1 PB): the recorder evicts nothing. */
const NO_BUDGET = 1e15;

/**
 * The trace what-if would build on an agent that ran `trace` with room for
 * everything (keep 1000, no budget): the usage record this tool kept, and
 * what the engine holds at the end, at the trace's budget.
 */
export async function recordTrace(trace: Trace): Promise<Trace> {
  const store = new RecordInMemory();
  const engine = new SimEngine();
  await replay({ ...trace, budgetBytes: NO_BUDGET }, plannerPolicy('recorder', { keep: 1000 }, {}, store), engine);
  const end = trace.jobs[trace.jobs.length - 1]!.at;
  const { record } = await store.read();
  const made = traceFromRecord(record, engine.snapshot(end), trace.budgetBytes, trace.bandwidthBytesPerSecond).trace;
  return {
    ...made,
    name: `${trace.name}, from its usage record`,
    description: `${trace.name} as what-if sees it on the agent's usage record: ${made.description}.`,
    source: `the usage record of ${trace.source} replayed with keep 1000 and no budget`,
  };
}

/** The whole comparison as Markdown: one table per trace, one row per policy, and whether the default is best or tied. */
export async function replayAll(): Promise<string> {
  const parts: string[] = [];
  const generated = allTraces();
  const traces = [...generated];
  for (const trace of generated) traces.push(await recordTrace(trace));
  for (const trace of traces) {
    const rows: Figures[] = [];
    for (const policy of allPolicies()) rows.push(await replay(trace, policy));
    parts.push(traceHeading(trace), figuresTable(rows), verdictLine(rows));
  }
  return parts.join('\n\n') + '\n';
}
