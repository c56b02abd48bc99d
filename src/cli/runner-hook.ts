// `docker-image-cleanup runner-hook`: the GitHub runner's job hook. The operator points both
// ACTIONS_RUNNER_HOOK_JOB_STARTED and ACTIONS_RUNNER_HOOK_JOB_COMPLETED at bin/runner-hook.sh.
// At job start it records what the engine holds (as the Action's pre step does); at job
// completion it cleans with everything the job added kept as the current build. The runner
// fails the job on a non-zero exit and never times a hook out, so every problem is printed
// (a warning in the job log) and the exit is 0 unless DOCKER_IMAGE_CLEANUP_HOOK_FAIL_ON_ERROR
// is true; the hook bounds its own time (DOCKER_IMAGE_CLEANUP_HOOK_DEADLINE).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureJobStart } from '../app/job';
import { loadJobStart } from '../app/job-start';
import { cleanupOutcome, EXIT, exitCodeOf, withoutEnsureFree, type Outcome } from '../app/outcome';
import { defaultStateDir } from '../app/session';
import { openSession } from '../compose';
import { parseBooleanText, BOOLEAN_FORM } from '../domain/boolean';
import { parseDuration } from '../domain/units';
import type { JobStart } from '../planner/planner';
import { describeFailure } from '../report/failure';
import { renderText } from '../report/text';
import { HOOK_VARIABLE_PREFIX } from '../settings/catalog';
import { inFrontTermsOf, rawFromInputs } from '../settings/fronts';
import { parseSettings, SettingsError } from '../settings/parse';
import type { Settings } from '../settings/settings';
import { stoppableEngine } from '../watch/stoppable-engine';
import { parseCliArgs, UsageError, type CliArgs, type HookStage } from './args';
import type { CliIo } from './io';

/** The hook's own variables, beside the settings' (DOCKER_IMAGE_CLEANUP_<FLAG>). */
export const HOOK_VARIABLE = {
  failOnError: `${HOOK_VARIABLE_PREFIX}HOOK_FAIL_ON_ERROR`,
  deadline: `${HOOK_VARIABLE_PREFIX}HOOK_DEADLINE`,
} as const;
export const DEFAULT_DEADLINE = '10m';
/** Before the deadline, this long is left for the removal in flight to finish (at most a quarter of it). */
const WIND_DOWN_MS = 30_000;
/** Under RUNNER_TEMP, which the runner empties before every job and keeps until the completed hook ran. */
const STATE_DIR = 'docker-image-cleanup-hook';

/** A problem the hook reports (a warning, or a failure with fail-on-error); `code` is the CLI's exit code. */
class HookProblem extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.badInput,
  ) {
    super(message);
  }
}

export interface RunnerHookDeps {
  env?: NodeJS.ProcessEnv;
  /** Ends the process at the deadline when an engine call does not return (default process.exit). */
  exit?: (code: number) => void;
}

/** `argv`: `runner-hook [started|completed] [flags]`, as main() got it. */
export async function runRunnerHook(argv: string[], io: CliIo, deps: RunnerHookDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  let failOnError = false;
  try {
    failOnError = hookBoolean(env, HOOK_VARIABLE.failOnError);
    const args = parseHookArgs(argv);
    const deadlineMs = hookDeadline(env);
    const job = jobOf(env);
    const settings = settingsOf(args, env);
    const stage = args.hookStage ?? stageOf(env, job.stateFile);
    const code = await withDeadline(deadlineMs, env[HOOK_VARIABLE.deadline] ?? DEFAULT_DEADLINE, deps.exit ?? process.exit, (signal) =>
      stage === 'started' ? jobStarted(settings, job, env, io, signal) : jobCompleted(settings, job, env, io, signal),
    );
    return code;
  } catch (error) {
    const message = error instanceof HookProblem ? error.message : describeFailure(error);
    return report(io, message, failOnError, error instanceof HookProblem ? error.code : EXIT.badInput);
  }
}

function parseHookArgs(argv: string[]): CliArgs {
  try {
    const args = parseCliArgs(argv);
    if (args.help || args.version || args.json) throw new UsageError('runner-hook takes setting flags only (or DOCKER_IMAGE_CLEANUP_<FLAG> variables); see --help');
    return args;
  } catch (error) {
    if (error instanceof UsageError) throw new HookProblem(`${error.message}. Nothing was removed.`);
    if (error instanceof SettingsError) throw new HookProblem(`${inFrontTermsOf(error, 'cli').message} Nothing was removed.`);
    throw error;
  }
}

/** One line in the job log (a workflow command: an annotation on the run); the exit code the runner sees. */
function report(io: CliIo, message: string, failOnError: boolean, code: number): number {
  const escaped = `docker-image-cleanup: ${message}`.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  if (!failOnError) {
    io.stdout(`::warning title=docker-image-cleanup runner hook::${escaped} (${HOOK_VARIABLE.failOnError} is not true: the job goes on)\n`);
    return EXIT.ok;
  }
  io.stdout(`::error title=docker-image-cleanup runner hook::${escaped}\n`);
  return code === EXIT.ok ? EXIT.removalsFailed : code;
}

interface Job {
  key: string;
  stateFile: string;
}

/** The job, from the variables the runner sets for every step and hook. */
function jobOf(env: NodeJS.ProcessEnv): Job {
  const missing = ['RUNNER_TEMP', 'GITHUB_RUN_ID', 'GITHUB_JOB'].filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new HookProblem(`${missing.join(', ')} not set: the runner sets them for its job hooks (ACTIONS_RUNNER_HOOK_JOB_STARTED / _COMPLETED); run by hand, set them as the runner would`);
  }
  const key = [env.GITHUB_REPOSITORY ?? '', env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT || '1', env.GITHUB_JOB].join('-').replace(/[^A-Za-z0-9._-]/g, '_');
  return { key, stateFile: path.join(env.RUNNER_TEMP!, STATE_DIR, `${key}.json`) };
}

/**
 * Which hook this is. The runner runs both with the same variables and no argument, so: the one
 * hook variable that is set; with both set, completed when this job's start record exists.
 */
function stageOf(env: NodeJS.ProcessEnv, stateFile: string): HookStage {
  const started = Boolean(env.ACTIONS_RUNNER_HOOK_JOB_STARTED);
  const completed = Boolean(env.ACTIONS_RUNNER_HOOK_JOB_COMPLETED);
  if (started && !completed) return 'started';
  if (completed && !started) return 'completed';
  if (!started && !completed) {
    throw new HookProblem('neither ACTIONS_RUNNER_HOOK_JOB_STARTED nor ACTIONS_RUNNER_HOOK_JOB_COMPLETED is set; run by hand, say which hook: runner-hook started|completed');
  }
  return fs.existsSync(stateFile) ? 'completed' : 'started';
}

/** Settings from DOCKER_IMAGE_CLEANUP_<FLAG> variables, flags after `runner-hook` winning. */
function settingsOf(args: CliArgs, env: NodeJS.ProcessEnv): Settings {
  const fromEnv = rawFromInputs('hook', (name) => env[name]);
  try {
    return parseSettings({ ...fromEnv, ...args.raw });
  } catch (error) {
    if (error instanceof SettingsError) throw new HookProblem(`${inFrontTermsOf(error, error.setting in args.raw ? 'cli' : 'hook').message} Nothing was removed.`);
    throw error;
  }
}

function hookBoolean(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = env[name]?.trim();
  if (!text) return false;
  const value = parseBooleanText(text);
  if (value === undefined) throw new HookProblem(`Invalid variable ${name} "${text}": expected ${BOOLEAN_FORM}.`);
  return value;
}

function hookDeadline(env: NodeJS.ProcessEnv): number {
  const text = env[HOOK_VARIABLE.deadline]?.trim() || DEFAULT_DEADLINE;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    ms = NaN;
  }
  if (!(ms >= 1000)) throw new HookProblem(`Invalid variable ${HOOK_VARIABLE.deadline} "${text}": expected a duration of 1s or more (90s, 10m). Nothing was removed.`);
  return ms;
}

/**
 * Runs `body` within the deadline: a little before it, no new removal starts (the one in
 * flight finishes); at it, the process ends with the report of a problem, even when an engine
 * call has not returned.
 */
async function withDeadline(ms: number, text: string, exit: (code: number) => void, body: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const windDown = setTimeout(() => controller.abort(), ms - Math.min(WIND_DOWN_MS, ms / 4));
  let hard: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => (hard = setTimeout(() => resolve('deadline'), ms)));
  try {
    const result = await Promise.race([body(controller.signal), deadline]);
    if (result !== 'deadline') return result;
    // An engine call still waits for its answer: nothing else would end the process.
    setImmediate(() => exit(process.exitCode === undefined ? 0 : Number(process.exitCode))).unref();
    throw new HookProblem(`the deadline ${HOOK_VARIABLE.deadline}=${text} passed before the engine answered; stopped`, EXIT.engineLost);
  } catch (error) {
    if (controller.signal.aborted && !(error instanceof HookProblem)) throw new HookProblem(`stopped at the deadline ${HOOK_VARIABLE.deadline}=${text}: ${describeFailure(error)}`, EXIT.engineLost);
    throw error;
  } finally {
    clearTimeout(windDown);
    clearTimeout(hard);
  }
}

async function jobStarted(settings: Settings, job: Job, env: NodeJS.ProcessEnv, io: CliIo, signal: AbortSignal): Promise<number> {
  fs.mkdirSync(path.dirname(job.stateFile), { recursive: true });
  const session = openSession(settings, stateDir(env));
  const engine = stoppableEngine(session.engine, signal);
  let problem: HookProblem | undefined;
  let jobStart: JobStart;
  try {
    // Free space first (it may remove images), then record what the job starts with.
    if (settings.space.ensureFreeBytes !== undefined) {
      const outcome = await cleanupOutcome(settings, { engine, usage: session.usage, cwd: env.GITHUB_WORKSPACE || undefined, signal });
      io.stdout(renderText(outcome.report));
      problem = problemOf(outcome);
    }
    jobStart = await captureJobStart(engine);
  } catch (error) {
    // The completed hook must know this job started (and that there is nothing to clean against).
    const why = `could not record the job start, so no cleanup runs after this job: ${describeFailure(error)}`;
    fs.writeFileSync(job.stateFile, JSON.stringify({ problem: why }));
    throw new HookProblem(why);
  }
  fs.writeFileSync(job.stateFile, JSON.stringify(jobStart));
  io.stdout(`docker-image-cleanup: recorded the ${jobStart.imageIds.length} images the engine holds at the start of ${env.GITHUB_REPOSITORY ?? ''} job ${env.GITHUB_JOB}; the cleanup after the job keeps every image added or tagged from here on\n`);
  if (problem) throw problem;
  return EXIT.ok;
}

async function jobCompleted(settings: Settings, job: Job, env: NodeJS.ProcessEnv, io: CliIo, signal: AbortSignal): Promise<number> {
  const jobStart = readJobStart(job.stateFile, env);
  if (!jobStart) io.stdout('docker-image-cleanup: no job start was recorded (ACTIONS_RUNNER_HOOK_JOB_STARTED is not set), so the job\'s images are judged as any other: set both hook variables to keep them as the current build\n');
  const session = openSession(settings, stateDir(env));
  try {
    const outcome = await cleanupOutcome(
      withoutEnsureFree(settings),
      { engine: stoppableEngine(session.engine, signal), usage: session.usage, cwd: env.GITHUB_WORKSPACE || undefined, signal },
      { jobStart },
    );
    io.stdout(renderText(outcome.report));
    const problem = problemOf(outcome);
    if (problem) throw problem;
    return EXIT.ok;
  } finally {
    fs.rmSync(job.stateFile, { force: true });
  }
}

/** The job start the started hook recorded; without one (only the completed hook is set) every image is judged as the CLI judges it. */
function readJobStart(file: string, env: NodeJS.ProcessEnv): JobStart | undefined {
  if (!fs.existsSync(file)) {
    if (env.ACTIONS_RUNNER_HOOK_JOB_STARTED) throw new HookProblem(`no job start was recorded for this job (${file}), so nothing is cleaned: did the job-started hook run?`, EXIT.ok);
    return undefined;
  }
  const value = JSON.parse(fs.readFileSync(file, 'utf8')) as { problem?: string };
  if (typeof value.problem === 'string') {
    fs.rmSync(file, { force: true });
    throw new HookProblem(`at the job start the hook ${value.problem}`);
  }
  return loadJobStart(file);
}

function problemOf(outcome: Outcome): HookProblem | undefined {
  return outcome.kind === 'ok' ? undefined : new HookProblem(outcome.message ?? outcome.kind, exitCodeOf(outcome.kind));
}

/** Where the usage record and inspect cache outlive the job: the tool cache, as for the Action. */
function stateDir(env: NodeJS.ProcessEnv): string {
  return env.RUNNER_TOOL_CACHE ? path.join(env.RUNNER_TOOL_CACHE, 'docker-image-cleanup') : defaultStateDir(env);
}
