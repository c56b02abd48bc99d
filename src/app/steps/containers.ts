import { removeStoppedContainers, type ContainerCleanupReport } from '../containers';
import type { StepOf } from '../run';

/**
 * Stopped containers (containers-older-than): chosen before the plan, which plans the
 * images and volumes as if they were gone already, and removed only once the plan passed
 * max-removals (a refused run removes nothing), first in the row.
 */
export const stoppedContainers: StepOf = (run) => {
  let choice: ContainerCleanupReport | undefined;
  let done: ContainerCleanupReport | undefined;
  return {
    async choose() {
      choice = await removeStoppedContainers(run.engine, { ...run.settings, dryRun: true }, { now: run.startedAt });
      run.leaving = new Set(choice?.results.filter((r) => r.status === 'planned').map((r) => r.id));
      run.notes.push(...(choice?.notes ?? []));
    },
    async apply() {
      if (!choice || run.settings.dryRun) return void (done = choice);
      done = (await removeStoppedContainers(run.engine, run.settings, { now: run.startedAt }))!;
      // Only the ones chosen before planning: the plan counted on exactly those.
      done.results = done.results.filter((r) => run.leaving.has(r.id));
    },
    freed: () => undefined,
    section({ report }) {
      if (done) report.containers = done;
    },
  };
};
