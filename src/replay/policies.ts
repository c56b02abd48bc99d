/**
 * Eviction policies the replayer compares at one disk budget. The product's
 * run the real planner (src/planner) and usage record (src/usage) exactly as
 * the post-job step and `watch` do; the others are the tools this field uses,
 * modelled on their documented rules.
 */
import { readUsage, saveUsage } from '../app/usage';
import type { RemovalResult } from '../app/apply';
import { plan as makePlan, type JobStart } from '../planner/planner';
import { parseSettings, type RawSettings } from '../settings/parse';
import { emptyRecord, type UsageRecord } from '../usage/record';
import type { UsageStore } from '../usage/store';
import type { SimEngine } from './sim-engine';

export interface CleanupContext {
  engine: SimEngine;
  now: number;
  budgetBytes: number;
  bandwidthBytesPerSecond: number;
}

/** One cleanup's result: images removed. */
export type Removed = number;

export interface Policy {
  readonly name: string;
  /** The post-job step: what the job started with, and the images it needed. */
  afterJob(ctx: CleanupContext, job: { start: JobStart; used: readonly string[] }): Promise<Removed>;
  /** A timer (hourly): the watch, a cron. Undefined: the policy has none. */
  tick?(ctx: CleanupContext): Promise<Removed>;
}

/** The record kept in memory between runs (the file store without the file). */
export class RecordInMemory implements UsageStore {
  readonly description = 'replay memory';
  private record: UsageRecord = emptyRecord();
  async read() {
    return { record: this.record, warnings: [] };
  }
  async update(change: (current: UsageRecord) => UsageRecord) {
    this.record = change(this.record);
    return { record: this.record, warnings: [] };
  }
}

/**
 * The product: snapshot -> usage record -> plan -> removals -> record, as
 * src/app/cleanup.ts runs them, with max-image-bytes at the budget and
 * `extra` settings (eviction-order, keep, ...). Kept builds and bases may be
 * evicted, so that it can meet the budget other tools are held to.
 */
/** The replay's own comparison lets the product evict kept builds and bases, as the other tools do. */
export const COMPARE_AT_BUDGET: RawSettings = { 'evict-kept-builds': true, 'evict-base-images': true };

export function plannerPolicy(name: string, extra: RawSettings = {}, defaults: RawSettings = COMPARE_AT_BUDGET, store: UsageStore = new RecordInMemory()): Policy {
  const run = async (ctx: CleanupContext, jobStart?: JobStart): Promise<Removed> => {
    const budget = `${ctx.budgetBytes}B`;
    // The product weighs pulls against builds over the trace's link, as its pull-bandwidth setting says.
    const raw: RawSettings = { 'max-image-bytes': budget, 'pull-bandwidth': `${ctx.bandwidthBytesPerSecond}B/s`, ...defaults, ...extra };
    // 'BUDGET' stands for the trace's budget, known only here.
    for (const [k, v] of Object.entries(raw)) if (v === 'BUDGET') raw[k] = budget;
    const settings = parseSettings(raw);
    const snapshot = ctx.engine.snapshot(ctx.now);
    const usage = await readUsage(store, snapshot, ctx.now, settings);
    const plan = makePlan({
      snapshot: usage.appeared.length ? { ...snapshot, activity: [...snapshot.activity, ...usage.appeared] } : snapshot,
      settings,
      now: ctx.now,
      jobStart,
      usage: usage.lastUse,
    });
    const results: RemovalResult[] = [];
    for (const d of plan.decisions) {
      if (d.action === 'keep') continue;
      const deleted = ctx.engine.remove(d.imageId, d.untag, d.delete);
      results.push({ imageId: d.imageId, status: deleted ? 'removed' : 'untagged', untagged: d.untag, deleted });
    }
    await saveUsage(store, snapshot, plan, results, ctx.now, settings, jobStart?.startedAt);
    return results.filter((r) => r.deleted).length;
  };
  return { name, afterJob: (ctx, job) => run(ctx, job.start), tick: (ctx) => run(ctx) };
}

/** Removes `order` (skipping what containers use) until the disk holds at most `target` bytes. */
function evictUntil(ctx: CleanupContext, order: readonly string[], target: number, onRemove?: (id: string) => void): Removed {
  let removed = 0;
  const inUse = ctx.engine.inUse();
  for (const id of order) {
    if (ctx.engine.diskBytes() <= target) break;
    if (inUse.has(id) || !ctx.engine.has(id)) continue;
    const tags = ctx.engine.describe(id)!.tags;
    if (ctx.engine.remove(id, tags, true)) {
      removed++;
      onRemove?.(id);
    }
  }
  return removed;
}

/** Last use per image as an event watcher sees it: arrival or a container, else first seen. */
class UseClock {
  readonly lastUse = new Map<string, number>();
  readonly firstSeen = new Map<string, number>();
  see(ctx: CleanupContext, used: readonly string[]): void {
    for (const id of ctx.engine.imageIds()) {
      if (!this.firstSeen.has(id)) this.firstSeen.set(id, ctx.now);
      if (!this.lastUse.has(id)) this.lastUse.set(id, ctx.now);
    }
    for (const id of used) this.lastUse.set(id, ctx.now);
  }
  leastRecentFirst(ids: string[]): string[] {
    return ids.sort((a, b) => this.lastUse.get(a)! - this.lastUse.get(b)! || this.firstSeen.get(a)! - this.firstSeen.get(b)! || (a < b ? -1 : 1));
  }
}

/** docuum: every image in least-recently-used order (container use, arrival) until under the threshold; nothing else protected. */
export function docuumPolicy(): Policy {
  const clock = new UseClock();
  return {
    name: 'docuum (pure LRU)',
    async afterJob(ctx, job) {
      clock.see(ctx, job.used);
      if (ctx.engine.diskBytes() <= ctx.budgetBytes) return 0;
      return evictUntil(ctx, clock.leastRecentFirst(ctx.engine.imageIds()), ctx.budgetBytes);
    },
  };
}

/**
 * The kubelet's image GC: above the high watermark (85% of the disk, here the
 * budget) images go least recently used first (then first detected) down to
 * the low one (80%); none used by a container.
 */
export function kubeletPolicy(): Policy {
  const clock = new UseClock();
  const run = async (ctx: CleanupContext) => {
    if (ctx.engine.diskBytes() <= ctx.budgetBytes) return 0;
    return evictUntil(ctx, clock.leastRecentFirst(ctx.engine.imageIds()), Math.floor((ctx.budgetBytes * 80) / 85));
  };
  return {
    name: 'kubelet (watermarks 85/80, LRU)',
    async afterJob(ctx, job) {
      clock.see(ctx, job.used);
      return run(ctx);
    },
    tick: run,
  };
}

/** `docker image prune -a --filter until=24h` hourly: every image no container uses, created over 24 h ago (a pull's creation is its upstream build). */
export function pruneUntilPolicy(): Policy {
  return {
    name: 'prune -a until=24h (hourly)',
    async afterJob() {
      return 0;
    },
    async tick(ctx) {
      const inUse = ctx.engine.inUse();
      let removed = 0;
      for (const id of ctx.engine.imageIds()) {
        const image = ctx.engine.describe(id)!;
        if (inUse.has(id) || ctx.now - image.created <= 86_400_000) continue;
        if (ctx.engine.remove(id, image.tags, true)) removed++;
      }
      return removed;
    },
  };
}

/**
 * GreedyDual-Size-Frequency with the trace's true costs (what the replayer
 * knows and an engine does not show): H = L + uses x seconds-to-get-back /
 * bytes; the lowest H goes first, L rises to each evicted H (aging). Down to
 * 80% of the budget, as the product.
 */
export function gdsfPolicy(): Policy {
  let inflation = 0;
  const uses = new Map<string, number>();
  const priority = new Map<string, number>();
  const valueOf = (ctx: CleanupContext, id: string) => {
    const image = ctx.engine.describe(id)!;
    let seconds = 0;
    let bytes = 0;
    for (const l of image.layers) {
      seconds += l.buildSeconds ?? l.bytes / ctx.bandwidthBytesPerSecond;
      bytes += l.bytes;
    }
    return (uses.get(id)! * seconds) / Math.max(1, bytes);
  };
  return {
    name: 'GDSF (true costs)',
    async afterJob(ctx, job) {
      for (const id of ctx.engine.imageIds()) if (!uses.has(id)) uses.set(id, 1);
      for (const id of new Set(job.used)) uses.set(id, (uses.get(id) ?? 0) + 1);
      for (const id of ctx.engine.imageIds()) if (!priority.has(id) || job.used.includes(id)) priority.set(id, inflation + valueOf(ctx, id));
      if (ctx.engine.diskBytes() <= ctx.budgetBytes) return 0;
      const order = ctx.engine.imageIds().sort((a, b) => priority.get(a)! - priority.get(b)! || (a < b ? -1 : 1));
      return evictUntil(ctx, order, Math.floor(ctx.budgetBytes * 0.8), (id) => {
        inflation = Math.max(inflation, priority.get(id)!);
        uses.delete(id);
        priority.delete(id);
      });
    },
  };
}

/** Every policy compared, in table order: a fresh instance each (they keep state between jobs). `settings`: this tool's, before each row's own. */
export function allPolicies(settings: RawSettings = COMPARE_AT_BUDGET): Policy[] {
  return [
    plannerPolicy('this tool, recent (before)', { 'eviction-order': 'recent' }, settings),
    plannerPolicy('this tool, cost', { 'eviction-order': 'cost' }, settings),
    plannerPolicy('this tool, cost, target = budget', { 'eviction-order': 'cost', 'target-image-bytes': 'BUDGET' }, settings),
    docuumPolicy(),
    pruneUntilPolicy(),
    kubeletPolicy(),
    gdsfPolicy(),
  ];
}
