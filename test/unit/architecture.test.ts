// The layers of docs/architecture.md, checked on the sources: which folder of src/ may import
// which, and that only the engine adapter folder talks to dockerode.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '../../../src');

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
  cli: ['domain', 'settings', 'planner', 'engine', 'usage', 'app', 'report', 'watch'],
  demo: ['domain', 'engine'],
};

/** Only the adapter folder imports dockerode; the demo is a developer tool that loads images. */
const DOCKERODE_ALLOWED = ['engine', 'demo'];
/** Files with a known exception, each named with why, until the work that removes it lands. */
const DOCKERODE_EXCEPTIONS: Record<string, string> = {
  'usage/engine-store.ts': 'the on-engine usage record: its engine calls move behind the port after #12 rewrites it',
};

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
    const wrong = FILES.filter(({ rel, text }) => importsOf(text).includes('dockerode') && !DOCKERODE_ALLOWED.includes(rel.split(path.sep)[0]!) && !(rel in DOCKERODE_EXCEPTIONS)).map((f) => f.rel);
    assert.deepEqual(wrong, []);
    for (const rel of Object.keys(DOCKERODE_EXCEPTIONS)) assert.ok(importsOf(FILES.find((f) => f.rel === rel)?.text ?? '').includes('dockerode'), `${rel} no longer needs its exception: remove it`);
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
});
