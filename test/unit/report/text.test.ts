import { strict as assert } from 'node:assert';
import { runCleanup } from '../../../src/app/cleanup';
import { renderText } from '../../../src/report/text';
import { wrapItems } from '../../../src/report/columns';
import { parseSettings, type RawSettings } from '../../../src/settings/parse';
import { FakeEngine } from '../../support/fake-engine';
import { image, NOW, snapshot } from '../../support/snapshot-fixtures';

/** The demo's troublemaker: one image with three long references, next to plain builds. */
function agent() {
  return [
    ...[3288, 3289, 3290].map((n, i) => image({ tags: [`fooproject:ci-${n}`], ageHours: 10 - i })),
    image({ tags: ['fooproject:ci-3291', 'fooproject:latest', 'registry.example.com/team/fooproject:ci-3291', 'registry.example.com/team/fooproject:latest'], ageHours: 1 }),
    image({ tags: ['node:20'], ageHours: 500 }),
  ];
}

async function report(raw: RawSettings) {
  return runCleanup(parseSettings({ 'min-age': '0', 'dry-run': true, ...raw }), { engine: new FakeEngine(snapshot(agent())), clock: () => NOW });
}

/** The column each header starts at, and every line's cells must not cross into the next one. */
function assertColumns(text: string, width: number) {
  const lines = text.split('\n');
  for (const l of lines) assert.ok(l.length <= width, `longer than ${width}: ${l}`);
  for (const [i, l] of lines.entries()) {
    if (!l.startsWith('  IMAGE ID')) continue;
    const starts = ['REFERENCES', 'OUTCOME', 'SIZE', 'UNIQUE', 'WHY'].map((h) => l.indexOf(h));
    for (let j = i + 1; j < lines.length && lines[j]!.startsWith('  '); j++) {
      // a gap of two spaces before every column start (right-aligned SIZE/UNIQUE start earlier at most)
      for (const s of [starts[0]!, starts[1]!, starts[4]!]) {
        const row = lines[j]!;
        if (row.length > s) assert.equal(row.slice(s - 2, s), '  ', `cell crosses column at ${s}: ${row}`);
      }
    }
  }
}

describe('text report', () => {
  for (const width of [80, 100, 120, 200]) {
    it(`1. fits ${width} columns: long references wrap inside their column`, async () => {
      const text = renderText(await report({ keep: 2, current: 'fooproject:ci-3291', protect: 'node:*' }), { width });
      assertColumns(text, width);
      // every reference whole on one line (a table cell or, below 110 columns, an image's block)
      for (const ref of ['registry.example.com/team/fooproject:ci-3291', 'registry.example.com/team/fooproject:latest', 'fooproject:latest']) assert.ok(text.includes(ref), ref);
      assert.equal(/IMAGE ID/.test(text), width >= 110);
    });
  }

  it('2. the reasons say exactly what happened', async () => {
    const text = renderText(await report({ keep: 2, current: 'fooproject:ci-3291' }), { width: 200 });
    assert.match(text, /fooproject:ci-3288 .*4th newest in fooproject, beyond keep 2 besides the current build/);
    assert.match(text, /fooproject:ci-3289 .*3rd newest in fooproject, within keep 2 besides the current build/);
    const keep0 = renderText(await report({ keep: 0 }), { width: 200 });
    assert.match(keep0, /fooproject:ci-3291.*newest in fooproject, but keep 0 keeps no build besides the current one/);
    assert.doesNotMatch(keep0, /older build/);
  });

  it('3. a real run whose current pattern matches nothing says so at the top', async () => {
    const engine = new FakeEngine(snapshot(agent()));
    const real = await runCleanup(parseSettings({ 'min-age': '0', keep: 5, current: 'fooproject:ci-329' }), { engine, clock: () => NOW });
    const text = renderText(real);
    assert.match(text.split('\n')[0]!, /^WARNING: current "fooproject:ci-329" matches no image/);
    assert.match(text, /warning: current "fooproject:ci-329" matches no image: nothing is kept as the current build/);
    const dry = renderText(await report({ keep: 5, current: 'fooproject:ci-329' }));
    assert.doesNotMatch(dry.split('\n')[0]!, /WARNING/);
  });

  it('4. a final timing line', async () => {
    assert.match(renderText(await report({})), /^Time: \d+\.\d\ds$/m);
  });

  it('5. maxRows shows the first rows and counts the rest', async () => {
    const text = renderText(await report({ keep: 0 }), { maxRows: 2 });
    assert.match(text, /… and 3 more \(--dry-run --json lists every image\)/);
  });

  describe('wrapItems', () => {
    const cases: { items: string[]; width: number; maxLines?: number; lines: string[] }[] = [
      { items: ['a:1', 'b:2', 'c:3'], width: 20, lines: ['a:1, b:2, c:3'] },
      { items: ['a:1', 'b:2', 'c:3'], width: 9, lines: ['a:1, b:2,', 'c:3'] },
      { items: ['registry.example.com/x:1', 'b:2'], width: 10, lines: ['registry.e', 'xample.com', '/x:1, b:2'] },
      { items: ['one two three four'], width: 9, lines: ['one two', 'three', 'four'] },
      { items: ['a', 'b', 'c', 'd', 'e'], width: 3, maxLines: 3, lines: ['a,', 'b,', '+3 more'] },
      { items: [], width: 5, lines: [''] },
    ];
    for (const [i, c] of cases.entries()) {
      it(`${i + 6}. ${JSON.stringify(c.items)} in ${c.width}${c.maxLines ? ` (max ${c.maxLines} lines)` : ''}`, () => {
        assert.deepEqual(wrapItems(c.items, ', ', c.width, c.maxLines), c.lines);
      });
    }
  });
});
