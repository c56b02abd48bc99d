import { listNetworkChoice, removeNetworks, type NetworkCleanupReport } from '../networks';
import type { StepOf } from '../run';

/**
 * Unused user-defined networks (networks-older-than), last in the row: each holds an
 * address pool, not disk, so it frees no bytes; CI hosts run out of pools, not space.
 */
export const networks: StepOf = (run) => {
  let chosen: NetworkCleanupReport | undefined;
  let done: NetworkCleanupReport | undefined;
  return {
    async choose() {
      chosen = await listNetworkChoice(run.engine, run.settings, { now: run.startedAt, leaving: run.leaving });
    },
    async apply({ engine, settings, deps }) {
      if (chosen) done = await removeNetworks(engine, settings, chosen, { signal: deps.signal });
    },
    freed: () => undefined,
    section({ report }) {
      if (!done) return;
      report.networks = done;
      report.warnings.push(...done.notes);
    },
  };
};
