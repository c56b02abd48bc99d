import type { CleanupReport } from '../app/cleanup';
import { describeKeep, describePlatform, describeRemove } from '../report/reasons';

/** The machine-readable report (`--json`, the Action's `plan` output). */
export function toJson(report: CleanupReport): object {
  const results = new Map(report.results.map((r) => [r.imageId, r]));
  return {
    dryRun: report.dryRun,
    engine: report.engine,
    startedAt: new Date(report.startedAt).toISOString(),
    durationMs: report.finishedAt - report.startedAt,
    totals: {
      ...report.counts,
      bytesPredicted: report.bytes.predicted,
      bytesMeasured: report.bytes.measured ?? null,
      bytesBefore: report.bytes.before ?? null,
      bytesAfter: report.bytes.after ?? null,
    },
    images: report.plan.decisions.map((d) => ({
      id: d.imageId,
      references: d.references,
      action: d.action,
      result: results.get(d.imageId) ?? null,
      untag: d.untag,
      delete: d.delete,
      size: d.size,
      uniqueBytes: d.uniqueBytes,
      platforms: d.platforms?.map((p) => ({ ...p, text: describePlatform(p) })),
      created: new Date(d.created).toISOString(),
      keepReasons: d.keepReasons.map((r) => ({ ...r, text: describeKeep(r) })),
      removeReasons: d.removeReasons.map((r) => ({ ...r, text: describeRemove(r) })),
    })),
    eviction: report.plan.eviction ?? null,
    containers: report.containers ?? null,
    buildCache: report.buildCache ?? null,
    volumes: report.volumes ?? null,
    cacheEviction: report.cacheEviction ?? null,
    networks: report.networks ?? null,
    byKind: report.byKind ?? [],
    regrets: report.regrets,
    incidents: report.incidents,
    engineLost: report.engineLost ?? null,
    usageStore: report.usageStore ?? null,
    warnings: report.warnings,
  };
}
