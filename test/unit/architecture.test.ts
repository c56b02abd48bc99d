// The layers of docs/architecture.md, checked on the sources: which folder of src/ may import
// which, and that only the engine adapter folder talks to dockerode.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '../../../src');

/** The one file that builds concrete adapters: only the CLI (and src/index.ts, for the other fronts) imports it. */
const COMPOSITION_ROOT = 'compose.ts';

/** Folder -> the folders of src/ it may import (besides itself). */
const MAY_IMPORT: Record<string, string[]> = {
  domain: [],
  settings: ['domain'],
  planner: ['domain', 'settings'],
  engine: ['domain', 'planner'],
  usage: ['domain', 'planner', 'engine'],
  app: ['domain', 'settings', 'planner', 'engine', 'usage'],
  report: ['domain', 'planner', 'app'],
  watch: ['domain', 'settings', 'planner', 'engine', 'usage', 'app', 'report'],
  cli: ['domain', 'settings', 'planner', 'engine', 'usage', 'app', 'report', 'watch', 'compose', 'replay'],
  replay: ['domain', 'settings', 'planner', 'usage', 'app'],
  demo: ['domain', 'engine'],
};

/** Only the adapter folder imports dockerode; the demo is a developer tool that loads images. */
const DOCKERODE_ALLOWED = ['engine', 'demo'];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

const FILES = sources(SRC).map((file) => ({ rel: path.relative(SRC, file), text: fs.readFileSync(file, 'utf8') }));
const importsOf = (text: string) => [...text.matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)].map((m) => m[1]!);

describe('architecture (docs/architecture.md)', () => {
  it('1. every folder of src/ is in the layer table', () => {
    const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    assert.deepEqual(folders, Object.keys(MAY_IMPORT).sort());
  });

  it('2. each folder imports only the folders below it', () => {
    const wrong: string[] = [];
    for (const { rel, text } of FILES) {
      const folder = rel.split(path.sep)[0]!;
      if (!(folder in MAY_IMPORT)) continue; // src/index.ts: the public surface re-exports every layer
      for (const spec of importsOf(text).filter((s) => s.startsWith('.'))) {
        const target = path.relative(SRC, path.resolve(path.dirname(path.join(SRC, rel)), spec)).split(path.sep)[0]!;
        if (target !== folder && !MAY_IMPORT[folder]!.includes(target)) wrong.push(`${rel} imports ${spec}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('3. only the engine adapter folder imports dockerode', () => {
    const wrong = FILES.filter(({ rel, text }) => importsOf(text).includes('dockerode') && !DOCKERODE_ALLOWED.includes(rel.split(path.sep)[0]!)).map((f) => f.rel);
    assert.deepEqual(wrong, []);
  });

  it('4. no file imports itself through others (no cycles)', () => {
    const graph = new Map<string, string[]>();
    for (const { rel, text } of FILES) {
      const deps = importsOf(text)
        .filter((s) => s.startsWith('.'))
        .map((s) => path.relative(SRC, path.resolve(path.dirname(path.join(SRC, rel)), s)))
        .map((r) => (FILES.some((f) => f.rel === `${r}.ts`) ? `${r}.ts` : path.join(r, 'index.ts')));
      graph.set(rel, deps);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') return void cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
      state.set(file, 'open');
      for (const dep of graph.get(file) ?? []) visit(dep, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    assert.deepEqual(cycles, []);
  });

  it('5. concrete adapters are built only in the composition root (src/compose.ts)', () => {
    // `new DockerodeEngine`, `new EngineUsageStore`, `new FileUsageStore`, … anywhere else in product code is a second root.
    const adapters = /\bnew (Dockerode\w*|\w+UsageStore|FileDetailsCache)\(/;
    const wrong = FILES.filter(({ rel, text }) => rel !== COMPOSITION_ROOT && rel.split(path.sep)[0] !== 'engine' && rel.split(path.sep)[0] !== 'demo' && adapters.test(text)).map((f) => f.rel);
    // The fronts outside src/ too: they get their adapters from src/index.ts (connectEngine, openSession).
    const ROOT = path.resolve(SRC, '..');
    for (const dir of ['actions/src', 'tasks/DockerImageCleanupV1/src']) {
      for (const file of sources(path.join(ROOT, dir))) if (adapters.test(fs.readFileSync(file, 'utf8'))) wrong.push(path.relative(ROOT, file));
    }
    assert.deepEqual(wrong, []);
  });

  it('6. only the watch metrics import prom-client (the planner and the engine adapter stay free of it)', () => {
    assert.deepEqual(FILES.filter(({ text }) => importsOf(text).includes('prom-client')).map((f) => f.rel), [path.join('watch', 'metrics.ts')]);
  });
});
