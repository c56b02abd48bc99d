// Packages the organization's private decorator extension (offline; tfx writes the .vsix):
//
//   npm run package:decorator -- --publisher my-publisher [--defaults org-defaults.json] [--output vsix-decorator/] [--version 1.1.0]
//
// The defaults file holds DockerImageCleanup@1 inputs ({"keepCount": 3, "minAge": "6h"}); they
// are checked as the task checks them before anything is written. The public extension
// (vss-extension.json at the root) is not touched.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { decoratorInputs, DefaultsError, renderManifest, renderTemplate, TARGET, targetOf } from './render';

const ROOT = path.resolve(__dirname, '..', '..');
/** From lib/tasks/decorator (compiled) or tasks/decorator (tsx): the repository root holds package.json. */
const root = fs.existsSync(path.join(ROOT, 'package.json')) ? ROOT : path.resolve(ROOT, '..');
const HERE = path.join(root, 'tasks', 'decorator');
const PUBLISHER = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

export interface PackageResult {
  vsix: string;
  target: keyof typeof TARGET;
  inputs: Record<string, string>;
}

export function packageDecorator(options: { publisher: string; defaultsFile?: string; output: string; version?: string }): PackageResult {
  if (!PUBLISHER.test(options.publisher)) throw new DefaultsError(`Invalid publisher "${options.publisher}": expected your Marketplace publisher ID (letters, digits, hyphens)`);
  const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  const task = readJson(path.join(root, 'tasks', 'DockerImageCleanupV1', 'task.json')) as { inputs: { name: string }[] };
  let defaults: unknown = {};
  if (options.defaultsFile) {
    try {
      defaults = readJson(options.defaultsFile);
    } catch (error) {
      throw new DefaultsError(`cannot read the defaults ${options.defaultsFile}: ${(error as Error).message}`);
    }
  }
  const inputs = decoratorInputs(defaults, task.inputs.map((i) => i.name));
  const target = targetOf(inputs);
  const version = options.version ?? (readJson(path.join(root, 'package.json')) as { version: string }).version;

  // The extension's files, staged as tfx packs them.
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-decorator-'));
  try {
    const manifest = renderManifest(readJson(path.join(HERE, 'vss-extension.json')) as Parameters<typeof renderManifest>[0], { publisher: options.publisher, version, target });
    fs.writeFileSync(path.join(stage, 'vss-extension.json'), JSON.stringify(manifest, null, 2));
    fs.mkdirSync(path.join(stage, 'decorator'));
    fs.writeFileSync(path.join(stage, TARGET[target].template), renderTemplate(fs.readFileSync(path.join(HERE, 'decorator.yml'), 'utf8'), inputs));
    fs.cpSync(path.join(root, 'images'), path.join(stage, 'images'), { recursive: true });
    fs.mkdirSync(path.join(stage, 'docs'));
    fs.copyFileSync(path.join(root, 'docs', 'azure.md'), path.join(stage, 'docs', 'azure.md'));
    fs.copyFileSync(path.join(root, 'LICENSE'), path.join(stage, 'LICENSE'));

    fs.mkdirSync(options.output, { recursive: true });
    const tfx = path.join(root, 'node_modules', 'tfx-cli', '_build', 'tfx-cli.js');
    const created = spawnSync(process.execPath, [tfx, 'extension', 'create', '--root', stage, '--manifest-globs', 'vss-extension.json', '--output-path', options.output, '--no-prompt', '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (created.status !== 0) throw new Error(`tfx extension create failed: ${(created.stderr || created.stdout).trim()}`);
    const { path: vsix } = JSON.parse(created.stdout) as { path: string };
    return { vsix, target, inputs };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    const { values } = parseArgs({ options: { publisher: { type: 'string' }, defaults: { type: 'string' }, output: { type: 'string' }, version: { type: 'string' } } });
    const publisher = values.publisher ?? process.env.MARKETPLACE_PUBLISHER;
    if (!publisher) throw new DefaultsError('--publisher is missing: the decorator is a private extension, packaged under your own Marketplace publisher');
    const result = packageDecorator({ publisher, defaultsFile: values.defaults, output: path.resolve(values.output ?? path.join(root, 'vsix-decorator')), version: values.version });
    console.log(`package:decorator: ${result.vsix}`);
    console.log(`package:decorator: DockerImageCleanup@1 on the ${result.target === 'preJob' ? 'pre-job' : 'post-job'} target, with ${Object.keys(result.inputs).length} default input(s)`);
  } catch (error) {
    console.error(`package:decorator: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  }
}
