/** Why an image (or one of its references) stays. Every reason that applies is listed. */
export type KeepReason =
  | { kind: 'current'; reference: string; pattern: string }
  | { kind: 'job-image'; detail: 'new' | 'retagged'; reference?: string }
  | { kind: 'newest'; reference: string; repository: string; rank: number; keep: number }
  | { kind: 'protected-pattern'; reference: string; pattern: string }
  | { kind: 'protected-id'; pattern: string }
  | { kind: 'protected-label'; label: string }
  | { kind: 'dockerfile-base'; reference: string; dockerfile: string }
  | { kind: 'base-of'; imageId: string; reference?: string }
  | { kind: 'in-use'; containerId: string; containerName: string; state: string }
  | { kind: 'young'; ageMs: number; minAgeMs: number; source: 'created' | 'tagged' | 'event' }
  | { kind: 'outside-scope'; reference: string };

/** Why an image (or one of its references) goes. */
export type RemoveReason =
  | { kind: 'old-build'; reference: string; repository: string; rank: number; keep: number }
  | { kind: 'dangling' };

export type Action = 'keep' | 'untag' | 'remove';

export interface ImageDecision {
  imageId: string;
  /** All normalized references (tags, then digests) the image had in the snapshot. */
  references: string[];
  /**
   * keep: nothing happens; untag: some references go, the image stays;
   * remove: every reference goes and the image is deleted.
   */
  action: Action;
  keepReasons: KeepReason[];
  removeReasons: RemoveReason[];
  /** References to untag, in order. */
  untag: string[];
  /** Delete the image by ID once no reference is left. */
  delete: boolean;
  created: number;
  size: number;
  /** Bytes only this image holds (layers no other image in the snapshot uses). */
  uniqueBytes: number;
}

export interface Plan {
  createdAt: number;
  decisions: ImageDecision[];
  /** Bytes the removals free, counting a shared layer only when no surviving image uses it. */
  predictedBytes: number;
  /** Things the user should know (event window too short, Dockerfile without FROM, …). */
  warnings: string[];
}

export function removals(plan: Plan): ImageDecision[] {
  return plan.decisions.filter((d) => d.action === 'remove');
}

export function untags(plan: Plan): ImageDecision[] {
  return plan.decisions.filter((d) => d.action === 'untag');
}
