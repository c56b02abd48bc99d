// The organization's decorator extension, rendered from its defaults: which decorator target
// carries the task, the template with the defaults as task inputs, and the manifest for the
// organization's publisher. Pure: package.ts reads the files and runs tfx.
import { BOOLEAN_FORM, inFrontTermsOf, parseBooleanText, parseSettings, rawFromInputs, SettingsError } from '../../src/index';

/** The task inputs an organization may set as defaults: task.json's, less the one the decorator owns. */
export const DECORATOR_OWNS = ['runAt'] as const;
/** The line of decorator.yml the defaults replace. */
export const DEFAULTS_MARKER = '# organization defaults';
export const TARGET = {
  postJob: { contribution: 'docker-image-cleanup-post-job', template: 'decorator/post-job.yml' },
  preJob: { contribution: 'docker-image-cleanup-pre-job', template: 'decorator/pre-job.yml' },
} as const;
export type Target = keyof typeof TARGET;

export class DefaultsError extends Error {}

/** A task input's value as the organization wrote it in its defaults file. */
type DefaultValue = string | number | boolean | string[];

/**
 * The defaults file as task inputs (strings, lists one per line), checked as the task would
 * check them: unknown or decorator-owned inputs, values the catalog rejects. A `$(variable)`
 * macro is expanded by the agent, so it is checked with a stand-in value.
 * @throws DefaultsError naming the input, the value and the expected form.
 */
export function decoratorInputs(defaults: unknown, taskInputs: readonly string[]): Record<string, string> {
  if (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults)) {
    throw new DefaultsError('the defaults must be a JSON object of task inputs, e.g. {"keepCount": 3, "minAge": "6h"}');
  }
  const inputs: Record<string, string> = {};
  for (const [name, value] of Object.entries(defaults as Record<string, unknown>)) {
    if ((DECORATOR_OWNS as readonly string[]).includes(name)) throw new DefaultsError(`input ${name} is set by the decorator (runAt: postJob), not by the defaults`);
    if (!taskInputs.includes(name)) throw new DefaultsError(`input ${name} is not an input of DockerImageCleanup@1; expected one of ${taskInputs.filter((i) => !(DECORATOR_OWNS as readonly string[]).includes(i)).join(', ')}`);
    inputs[name] = textOf(name, value as DefaultValue);
  }
  const standIn = (text: string | undefined) => text?.replace(/\$\([^)]*\)/g, 'x');
  try {
    parseSettings(rawFromInputs('task', (name) => standIn(inputs[name])));
  } catch (error) {
    if (error instanceof SettingsError) throw new DefaultsError(inFrontTermsOf(error, 'task').message);
    throw error;
  }
  if (inputs.failOnError !== undefined && parseBooleanText(inputs.failOnError) === undefined) {
    throw new DefaultsError(`Invalid input failOnError "${inputs.failOnError}": expected ${BOOLEAN_FORM}.`);
  }
  return inputs;
}

function textOf(name: string, value: DefaultValue): string {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new DefaultsError(`input ${name}: expected a string, a number, a boolean or a list of strings, not ${JSON.stringify(value)}`);
}

/**
 * Where the task goes: the pre-job target when the defaults ask for free space before the job
 * (the task's pre-job part frees it before checkout wherever the step sits, but there the step
 * is the job's first and says so), else the post-job target. One task per job either way: its
 * pre-job part records the engine, its post-job part cleans after every other step.
 */
export function targetOf(inputs: Record<string, string>): Target {
  return inputs.ensureFree !== undefined ? 'preJob' : 'postJob';
}

/** decorator.yml with the defaults as inputs (YAML double-quoted scalars, which JSON strings are). */
export function renderTemplate(template: string, inputs: Record<string, string>): string {
  const lines = template.split('\n');
  const at = lines.findIndex((l) => l.trim() === DEFAULTS_MARKER);
  if (at < 0) throw new Error(`decorator.yml has no "${DEFAULTS_MARKER}" line`);
  const indent = lines[at]!.slice(0, lines[at]!.indexOf('#'));
  const rendered = Object.entries(inputs).map(([name, value]) => `${indent}${name}: ${JSON.stringify(value)}`);
  lines.splice(at, 1, ...rendered);
  return lines.join('\n');
}

interface Manifest {
  publisher?: string;
  version?: string;
  files: { path: string }[];
  contributions: { id: string; properties: { template: string } }[];
  [field: string]: unknown;
}

/** The manifest for the organization: its publisher, the version, only the chosen decorator. */
export function renderManifest(manifest: Manifest, options: { publisher: string; version: string; target: Target }): Manifest {
  const { contribution, template } = TARGET[options.target];
  const unused = Object.values(TARGET).filter((t) => t.template !== template);
  return {
    ...manifest,
    publisher: options.publisher,
    version: options.version,
    files: manifest.files.filter((f) => !unused.some((t) => t.template === f.path)),
    contributions: manifest.contributions.filter((c) => c.id === contribution),
  };
}
