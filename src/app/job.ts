import type { EnginePort } from '../engine/port';
import type { JobStart } from '../planner/planner';

/**
 * What the engine holds when a CI job starts. The post-job cleanup treats every
 * image that is not in here (built, pulled, loaded or retagged since) as the
 * current build.
 */
export async function captureJobStart(engine: EnginePort, clock: () => number = Date.now): Promise<JobStart> {
  const startedAt = clock();
  const snapshot = await engine.snapshot({ activitySince: startedAt });
  return {
    startedAt,
    imageIds: snapshot.images.map((i) => i.id),
    references: snapshot.images.flatMap((i) => [...i.tags, ...i.digests]),
  };
}
