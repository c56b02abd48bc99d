import type { ReferencePattern } from '../domain/pattern';

/** A `key` or `key=value` label selector (`protect-label`). */
export interface LabelSelector {
  key: string;
  /** undefined: the key alone is enough. */
  value?: string;
  /** As the user wrote it, for reports. */
  text: string;
}

/** How builds of one repository are ranked for keep-N. */
export type BuildOrder = 'created' | 'tag';

/**
 * The one typed, validated settings object every front produces
 * (CLI flags, Azure task inputs, GitHub Action inputs) and the core consumes.
 * Built only by `parseSettings`, so every value here is already valid.
 */
export interface Settings {
  /** Builds kept per repository besides the current build (integer >= 0). */
  keep: number;
  /** The current build's images: always kept. */
  current: ReferencePattern[];
  /** Patterns of references, or image IDs, that are always kept. */
  protect: ReferencePattern[];
  /** Labels that protect an image. */
  protectLabels: LabelSelector[];
  /** Repositories the tool may remove from; empty means all. */
  repositories: ReferencePattern[];
  /** Paths or globs of Dockerfiles whose FROM images are protected. */
  dockerfiles: string[];
  /** Grace period: images that arrived more recently are kept. */
  minAgeMs: number;
  /** Remove untagged images nothing needs. */
  dangling: boolean;
  /** Refuse the run when the plan removes more images than this. */
  maxRemovals?: number;
  dryRun: boolean;
  order: BuildOrder;
  /** Engine address; undefined means DOCKER_HOST or the default socket. */
  host?: string;
}

export const DEFAULTS = {
  keep: 2,
  minAge: '1h',
  dangling: true,
  dryRun: false,
  order: 'created' as BuildOrder,
};
