import { strict as assert } from 'node:assert';
import { LayerIndex } from '../../../src/planner/layer-index';
import { image } from '../../support/snapshot-fixtures';

describe('LayerIndex.maxOverDependents (the usage record: bases are used when images built on them are)', () => {
  // A value per image: its name's number, so the expected maxima read off the layer chains.
  const img = (name: string, layers: string[], value: number) => ({ name, record: image({ name, layers }), value });
  const cases: { name: string; images: ReturnType<typeof img>[]; expected: Record<string, number> }[] = [
    {
      name: 'a base gets the largest value among images built on it, at any depth',
      images: [img('base', ['a'], 1), img('mid', ['a', 'b'], 5), img('top', ['a', 'b', 'c'], 9), img('side', ['a', 'd'], 7)],
      expected: { base: 9, mid: 9, top: -Infinity, side: -Infinity },
    },
    {
      name: 'an image with the same chain is no dependent (same content, other config)',
      images: [img('one', ['a', 'b'], 3), img('twin', ['a', 'b'], 8), img('child', ['a', 'b', 'c'], 2)],
      expected: { one: 2, twin: 2, child: -Infinity },
    },
    {
      name: 'a chain that only shares a prefix is no dependent of the other',
      images: [img('x', ['a', 'x'], 4), img('y', ['a', 'y'], 6)],
      expected: { x: -Infinity, y: -Infinity },
    },
    {
      name: 'an image without layers is nobody\'s base and has no entry',
      images: [img('empty', [], 1), img('other', ['a'], 2)],
      expected: { other: -Infinity },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const byId = new Map(c.images.map((i) => [i.record.id, i]));
      const index = new LayerIndex(c.images.map((i) => i.record));
      const result = index.maxOverDependents((record) => byId.get(record.id)!.value);
      const named = Object.fromEntries([...result].map(([id, value]) => [byId.get(id)!.name, value]));
      assert.deepEqual(named, c.expected);
    });
  }
});

