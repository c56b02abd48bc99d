import { applyVolumePlan, listVolumePlan, type ListedVolumePlan, type VolumeCleanupReport } from '../volumes';
import type { StepOf } from '../run';

/**
 * Volumes and buildx builder leftovers (volumes-older-than, buildx-older-than): one plan,
 * listed before the image plan (the space rules weigh the volumes' bytes), carried out
 * after the images and the build cache (the containers this run removed no longer hold theirs).
 */
export const volumes: StepOf = (run) => {
  let planned: ListedVolumePlan | undefined;
  let done: VolumeCleanupReport | undefined;
  return {
    async choose() {
      planned = await listVolumePlan(run.engine, run.settings, { now: run.startedAt, leaving: run.leaving });
      if (planned) run.planInput.volumes = { bytes: planned.listing.volumes.reduce((sum, v) => sum + (v.size ?? 0), 0), freed: planned.plan.predictedBytes };
    },
    async apply({ engine, settings, startedAt, deps }) {
      if (planned) done = await applyVolumePlan(engine, settings, planned, { now: startedAt, signal: deps.signal });
    },
    freed: () => done && { kind: 'volumes', predicted: done.bytes.predicted, measured: done.bytes.measured },
    section({ report }) {
      if (!done) return;
      report.volumes = done;
      report.warnings.push(...done.notes);
    },
  };
};
