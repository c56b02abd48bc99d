import { strict as assert } from 'node:assert';
import { runCleanup } from '../../../src/app/cleanup';
import { diskChart, renderCharts, TOP_REPOSITORIES } from '../../../src/report/chart';
import { renderMarkdown } from '../../../src/report/markdown';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { FakeEngine } from '../../support/fake-engine';

// mermaid and jsdom are ESM-only; this suite compiles to CommonJS.
const importModule = new Function('name', 'return import(name)') as (name: string) => Promise<any>;

/** Mermaid's own parser (the one GitHub renders with), in a DOM jsdom provides: each block's diagram type, or its parse error. */
async function mermaidParse(blocks: string[]): Promise<string[]> {
  const { JSDOM } = await importModule('jsdom');
  const dom = new JSDOM('<!doctype html><body></body>');
  Object.assign(globalThis, { window: dom.window, document: dom.window.document });
  try {
    const { default: mermaid } = await importModule('mermaid');
    return await Promise.all(blocks.map((b) => mermaid.parse(b).then((r: { diagramType: string }) => r.diagramType, (e: Error) => `error: ${e.message.split('\n')[0]}`)));
  } finally {
    // the other suites in this process run without a DOM, as in production
    delete (globalThis as any).window;
    delete (globalThis as any).document;
  }
}

const mermaidBlocks = (markdown: string) => markdown.split('```mermaid\n').slice(1).map((b) => b.split('\n```')[0]!);
import { image, NOW, snapshot } from '../../support/snapshot-fixtures';

/** Eight repositories with three builds each, of growing size: keep 1 removes two of each. */
function agent() {
  return Array.from({ length: 8 }, (_, r) =>
    [1, 2, 3].map((n) => image({ tags: [`repo-${r}:ci-${n}`], ageHours: 10 - n, layers: [`repo-${r}-${n}`], layerSizes: [(r + 1) * 1_000_000 + n] })),
  ).flat();
}

async function report(raw: RawSettings) {
  return runCleanup(parseSettings({ 'min-age': '0', keep: '1', ...raw }), { engine: new FakeEngine(snapshot(agent())), clock: () => NOW });
}

describe('summary charts: disk before and after by kind, the repositories that freed most', () => {
  it('1. a real run: images before and after are the engine\'s measured figures; repositories are the removed images\' bytes, largest first, the rest as "others"', async () => {
    const r = await report({});
    const chart = diskChart(r);
    assert.equal(chart.measured, true);
    assert.deepEqual(chart.kinds, [{ kind: 'images', before: r.bytes.before, after: r.bytes.after }]);
    assert.equal(chart.repositories.length, TOP_REPOSITORIES + 1);
    assert.deepEqual(chart.repositories.slice(0, 2).map((x) => [x.repository, x.images]), [['repo-7', 2], ['repo-6', 2]]);
    assert.equal(chart.repositories.at(-1)!.repository, '3 others');
    const removed = r.plan.decisions.filter((d) => d.action === 'remove');
    assert.equal(chart.repositories.reduce((a, x) => a + x.bytes, 0), removed.reduce((a, d) => a + d.uniqueBytes, 0), 'every removed byte is in one bar');
    assert.equal(chart.repositories[0]!.bytes, 8_000_001 + 8_000_002);
  });

  it('2. a dry run without disk pressure has no disk figures to draw: the repositories alone, as what would go', async () => {
    const r = await report({ 'dry-run': true });
    const chart = diskChart(r);
    assert.deepEqual(chart.kinds, []);
    assert.ok(chart.repositories.length > 0);
    const md = renderCharts(chart, 'mermaid', true).join('\n');
    assert.doesNotMatch(md, /xychart/);
    assert.match(md, /pie showData title Would free, by repository/);
  });

  it('3. nothing removed: no chart at all', async () => {
    const r = await report({ keep: '5' });
    assert.deepEqual(renderCharts(diskChart(r), 'mermaid', false), []);
    assert.deepEqual(renderCharts(diskChart(r), 'text', false), []);
  });

  const kinds = [
    { kind: 'images' as const, before: 3_000_000_000, after: 1_000_000_000 },
    { kind: 'volumes' as const, before: 500_000_000, after: 0 },
  ];
  const repositories = [{ repository: 'app', bytes: 1_500_000_000, images: 3 }, { repository: 'docker.io/x', bytes: 2_000_000, images: 1 }];

  it('4. GitHub (Mermaid): one bar series before and one after, as long as the axis; a pie of the repositories; the figures in words below', () => {
    const lines = renderCharts({ kinds, measured: true, repositories }, 'mermaid', false);
    const text = lines.join('\n');
    assert.match(text, /```mermaid\nxychart-beta\n {4}title "Disk use by kind: before and after"\n {4}x-axis \["images", "volumes"\]\n {4}y-axis "GB"\n {4}bar \[3, 0.5\]\n {4}bar \[1, 0\]\n```/);
    assert.match(text, /images 3GB → 1GB; volumes 500MB → 0B/);
    assert.match(text, /```mermaid\npie showData title Freed, by repository \(bytes its removed images held alone\) \(MB\)\n {4}"app" : 1500\n {4}"docker.io\/x" : 2\n```/);
  });

  it('4b. GitHub (Mermaid): both charts parse with Mermaid\'s own parser, and a broken one does not (so the pass says something)', async function () {
    this.timeout(60_000);
    const real = await report({});
    const blocks = [...mermaidBlocks(renderCharts({ kinds, measured: true, repositories }, 'mermaid', false).join('\n')), ...mermaidBlocks(renderMarkdown(real, 'T', 'mermaid'))];
    assert.deepEqual(await mermaidParse(blocks), ['xychart', 'pie', 'xychart', 'pie']);
    assert.match((await mermaidParse([blocks[0]!.replace('x-axis [', 'x-axis [[')]))[0]!, /^error/);
  });

  it('5. Azure (text): bars of block characters in a code block, proportional to the largest figure', () => {
    const lines = renderCharts({ kinds, measured: true, repositories }, 'text', false);
    assert.ok(!lines.some((l) => l.includes('mermaid')));
    const bar = (label: string) => lines.find((l) => l.startsWith(label))!;
    assert.equal(bar('images before').match(/█/g)!.length, 30);
    assert.equal(bar('images after').match(/█/g)!.length, 10);
    assert.equal(bar('volumes before').match(/█/g)!.length, 5);
    assert.equal(bar('volumes after').match(/█/g), null);
    assert.match(bar('app (3)'), /█{30}\s+1\.5GB$/);
    assert.equal(lines.filter((l) => l === '```text').length, 2);
  });

  it('6. the summary page puts the charts above the tables in the style asked for, and none when not asked', async () => {
    const r = await report({});
    const github = renderMarkdown(r, 'T', 'mermaid');
    assert.ok(github.indexOf('```mermaid') < github.indexOf('| Images seen |'));
    assert.ok(renderMarkdown(r, 'T', 'text').includes('```text'));
    assert.ok(!renderMarkdown(r, 'T').includes('```'));
  });
});
