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


describe('LayerIndex with content blobs counted (containerd store from dockerd 28.2: disk use counts snapshots and blobs)', () => {
  // Each layer: 1000 B of snapshot, and a blob whose size the API never gives alone. Blob sizes
  // here: a=300, b=50, c=70; each image's own index+manifest (sizes known) 10, config `config` B.
  // `data`: snapshot bytes ten times the blob (blobs follow the data they pack).
  const BLOB: Record<string, number> = { a: 300, b: 50, c: 70 };
  const withContent = (name: string, layers: string[], config = 0, data = false) => ({
    ...image({ name, layers, layerSizes: data ? layers.map((l) => 10 * BLOB[l]!) : undefined }),
    contentBytes: 10 + config + layers.reduce((sum, l) => sum + BLOB[l]!, 0),
    ownContentBytes: 10,
  });
  const cases: { name: string; images: string[][]; removed: number[]; freed: number; unplaced: number; data?: boolean }[] = [
    { name: 'a build and its base both removed: each blob once', images: [['a'], ['a', 'b']], removed: [0, 1], freed: 2000 + 300 + 50 + 2 * 10, unplaced: 0 },
    // the build alone: its layer b (snapshot + blob) and its manifest; the base's blob stays
    { name: 'a build removed, its base kept: the shared blob is not freed', images: [['a'], ['a', 'b']], removed: [1], freed: 1000 + 50 + 10, unplaced: 0 },
    // listed child first: placement goes by chain length, not listing order
    { name: 'the listing order does not matter', images: [['a', 'b'], ['a']], removed: [0], freed: 1000 + 50 + 10, unplaced: 0 },
    { name: 'two builds on a kept base, both removed', images: [['a'], ['a', 'b'], ['a', 'c']], removed: [1, 2], freed: 2000 + 50 + 70 + 20, unplaced: 0 },
    { name: 'the same chain under two manifests: the second one frees its own blobs only', images: [['a', 'b'], ['a', 'b']], removed: [1], freed: 10, unplaced: 0 },
    // No image ends at a: each sibling's content above it (350, 370) is split by the data its layers
    // add (1000 a, 1000 b or c here: not what the blobs are), the smaller share (175) lifted onto a.
    // The engine frees 3440 and 1080; the plan says the figure is an estimate.
    { name: 'siblings on a layer no image ends at: its blob estimated, flagged', images: [['a', 'b'], ['a', 'c']], removed: [0, 1], freed: 3000 + 175 + 175 + 195 + 20, unplaced: 1 },
    { name: 'siblings on such a layer, one removed: flagged', images: [['a', 'b'], ['a', 'c']], removed: [1], freed: 1000 + 195 + 10, unplaced: 1 },
    // where blobs follow the data (incompressible files, as the demo's), the estimate is exact
    { name: 'siblings whose blobs follow their data: exact', images: [['a', 'b'], ['a', 'c']], removed: [0, 1], freed: 3000 + 500 + 700 + 300 + 50 + 70 + 20, unplaced: 1, data: true },
    { name: 'one of them removed: exact', images: [['a', 'b'], ['a', 'c']], removed: [1], freed: 700 + 70 + 10, unplaced: 1, data: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const records = c.images.map((layers, i) => withContent(`img${i}`, layers, 0, c.data));
      const index = new LayerIndex(records, { countContent: true });
      const removed = c.removed.map((i) => records[i]!.id);
      assert.equal(index.bytesFreedBy(removed), c.freed);
      assert.equal(index.unplacedSharedContent(removed), c.unplaced);
    });
  }

  it("a config blob (size not in the API) goes with the image's top layer: off by config sizes, exact when both go", () => {
    const records = [withContent('base', ['a'], 5), withContent('app', ['a', 'b'], 7)];
    const index = new LayerIndex(records, { countContent: true });
    assert.equal(index.bytesFreedBy([records[1]!.id]), 1000 + 50 + 10 + 7 - 5, 'the engine frees 1067: the base config (5) is counted on a');
    assert.equal(index.bytesFreedBy([records[0]!.id]), 10, 'the engine frees 15: the manifest and the config');
    assert.equal(index.bytesFreedBy(records.map((r) => r.id)), 2000 + 300 + 50 + 20 + 12 - 5, 'both: short by the base config');
  });

  it('without countContent (dockerd 26.1, the graph driver) the content is no part of the figures', () => {
    const records = [withContent('base', ['a']), withContent('app', ['a', 'b'])];
    const index = new LayerIndex(records);
    assert.equal(index.bytesFreedBy([records[1]!.id]), 1000);
    assert.equal(index.totalBytes(), 2000);
  });

  it("totalBytes counts every blob once and each image's own part (what system df LayersSize says)", () => {
    const records = [withContent('base', ['a']), withContent('app', ['a', 'b']), withContent('other', ['a', 'c'])];
    assert.equal(new LayerIndex(records, { countContent: true }).totalBytes(), 3000 + 300 + 50 + 70 + 3 * 10);
  });
});
