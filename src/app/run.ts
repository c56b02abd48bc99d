import type { EnginePort } from '../engine/port';
import type { Settings } from '../settings/settings';
import type { JobStart, PlanInput } from '../planner/planner';
import type { Plan } from '../planner/plan';
import type { EngineInfo, Snapshot } from '../planner/snapshot';
import type { FilesystemStats } from '../planner/eviction';
import type { UsageStore } from '../usage/store';
import type { Incident, RemovalResult } from './apply';
import type { BuildCacheReport } from './build-cache';
import type { ContainerCleanupReport } from './containers';
import type { VolumeCleanupReport } from './volumes';
import type { CacheEvictionReport } from './cache-eviction';
import type { NetworkCleanupReport } from './networks';

export interface CleanupDeps {
  engine: EnginePort;
  /** Milliseconds since the epoch; injected so runs are reproducible in tests. */
  clock?: () => number;
  /** Where relative Dockerfile paths are resolved. */
  cwd?: string;
  /** Progress of the removals, for a terminal progress line. */
  onProgress?: (done: number, total: number) => void;
  /** Free space of a path; injected so watermark rules can be tested. */
  filesystem?: (path: string) => Promise<FilesystemStats | undefined>;
  /** The usage record: feeds least-recently-used order, and is updated after a real run. */
  usage?: UsageStore;
  /** A stop request (watch mode): removals not yet begun are left alone. */
  signal?: AbortSignal;
  /** Told when another cleanup holds the engine's run lock (and this run waits). */
  onLockWait?: (message: string) => void;
}

export interface CleanupOptions {
  /** Images the engine held when the job started: everything newer is the current build. */
  jobStart?: JobStart;
  /** Patterns the front filled in as its defaults: no warning when they match nothing (see PlanInput). */
  quietUnmatched?: readonly string[];
}

/** Predicted and measured bytes of one kind, for the report's "what each kind gave". */
export interface KindFigures {
  kind: 'images' | 'build-cache' | 'volumes';
  predicted: number;
  measured?: number;
}

export interface CleanupReport {
  dryRun: boolean;
  startedAt: number;
  finishedAt: number;
  engine: EngineInfo;
  plan: Plan;
  /** One per image the plan untags or removes; empty on a dry run. */
  results: RemovalResult[];
  counts: {
    images: number;
    kept: number;
    /** Planned (dry run) or done. */
    removed: number;
    untagged: number;
    skipped: number;
    failed: number;
    /** Calls where the engine untagged or deleted something the plan did not name. */
    incidents: number;
  };
  bytes: {
    /** What the plan said the removals free, shared layers counted once. */
    predicted: number;
    /** Engine disk use of images before and after, and the difference. */
    before?: number;
    after?: number;
    measured?: number;
    /** What the run lock's own image and container held of `before` (left out of before and after). */
    runLock?: number;
  };
  /** Removed images that came back within the regret window (from the usage record). */
  regrets: { imageId: string; references: string[]; removedAt: number; returnedAt: number }[];
  /** What the engine untagged or deleted beyond the plan (a concurrent job changed an image mid-call); any makes the run fail. */
  incidents: Incident[];
  /** Set when the engine was lost or stopped answering during the removals: why. What was done is in `results`. */
  engineLost?: string;
  /** Where the usage record lives, when one is kept. */
  usageStore?: string;
  /** Stopped containers removed before planning (containers-older-than). */
  containers?: ContainerCleanupReport;
  /** Builder cache pruned after the images (build-cache-keep / build-cache-max-age). */
  buildCache?: BuildCacheReport;
  /** Volumes and buildx builder leftovers (volumes-older-than / buildx-older-than), after the images. */
  volumes?: VolumeCleanupReport;
  /** Build cache records the space rules evicted (one prune per record), after the images. */
  cacheEviction?: CacheEvictionReport;
  /** Unused user-defined networks (networks-older-than), last. */
  networks?: NetworkCleanupReport;
  /** The path whose free space the watermarks read, and why that one. */
  freePath?: string;
  /** Present with ensure-free: whether the free space is there now. */
  ensureFree?: EnsureFreeResult;
  /** What each kind gave: predicted by the plan, measured from the engine's answers and disk use. */
  byKind?: KindFigures[];
  warnings: string[];
}

/** The ensure-free check after the run: what was wanted, what is free now, and what was tried. */
export interface EnsureFreeResult {
  wantedBytes: number;
  path: string;
  freeBefore: number;
  freeAfter: number;
  reached: boolean;
  /** One line: what was evicted by kind and which opt-in tiers were off, for the failure message. */
  tried: string;
}

/** The free space the space rules read, and how to read it again after the removals. */
export interface FreeSpace {
  stats: FilesystemStats;
  path: string;
  /** The path and why that one, for the report. */
  measuredOn: string;
  measure: () => Promise<FilesystemStats | undefined>;
}

/**
 * One cleanup run as its steps see it before the plan: the settings, the engine, the
 * clock, and what the steps tell the image plan as they choose (the containers that
 * go, the snapshot, the free space, what the other kinds hold for the space rules).
 */
export interface Run {
  readonly settings: Settings;
  readonly deps: CleanupDeps;
  readonly options: CleanupOptions;
  readonly engine: EnginePort;
  readonly clock: () => number;
  readonly startedAt: number;
  /** Warnings before the plan, in the order they arose: the report's warnings begin with them. */
  readonly notes: string[];
  /** Containers the stopped-containers step removes: the images and volumes are planned as if they were gone. */
  leaving: ReadonlySet<string>;
  /** The engine as the images step saw it (the run lock left out). */
  snapshot?: Snapshot;
  /** Free space of free-path, when a space rule reads it and it is visible here. */
  freeSpace?: FreeSpace;
  /** What the image plan reads besides the snapshot: Dockerfile FROMs, and the other kinds the space rules weigh. */
  planInput: Pick<PlanInput, 'dockerfileReferences' | 'buildCache' | 'volumes'>;
}

/** The run once planned: every step applies against the plan and writes its section of the report. */
export interface Planned extends Run {
  readonly snapshot: Snapshot;
  readonly plan: Plan;
  readonly report: CleanupReport;
}

/**
 * One kind of disk use a run handles (images, stopped containers, build cache, volumes
 * and builder leftovers, networks), all in the same shape: the use case runs the row of
 * steps once, in one order, on a dry run, on a run with nothing to remove and on a real
 * run alike. A step whose setting is off does nothing in each part.
 */
export interface Step {
  /** What it would remove and why, read before the plan (which weighs it under the space rules, where they count it). */
  choose(): Promise<void>;
  /** Removes what it chose, each item re-checked right before its call and never forced; a dry run removes nothing. */
  apply(run: Planned): Promise<void>;
  /** What it freed, predicted and measured, when it counts bytes. */
  freed(run: Planned): KindFigures | undefined;
  /** Writes its section of the report (nothing when its setting is off or it was not reached). */
  section(run: Planned): void;
}

/** A step of the row: made afresh for each run. */
export type StepOf = (run: Run) => Step;
