import { strict as assert } from 'node:assert';
import { parseRecord } from '../../../src/usage/codec';
import { observe } from '../../../src/usage/observe';
import { emptyRecord } from '../../../src/usage/record';
import { DAY, image, NOW, snapshot } from '../../support/snapshot-fixtures';

/** The regret-window setting's default (the catalog's 7d). */
const WEEK = 7 * DAY;

describe('usage record: parse', () => {
  it('round-trips JSON', () => {
    const r = observe(emptyRecord(), snapshot([image({ tags: ['a:1'] })]), NOW, { regretWindowMs: WEEK }).record;
    assert.deepEqual(parseRecord(JSON.stringify(r), 'test'), { record: r, warnings: [] });
  });
  const damaged: [string, string][] = [
    ['not JSON', '{"version":1,'],
    ['not an object', '[1,2]'],
    ['another version', '{"version":2,"images":{},"removed":{}}'],
    ['no images', '{"version":1,"removed":{}}'],
  ];
  for (const [name, text] of damaged) {
    it(`damaged (${name}): empty record and a warning`, () => {
      const { record, warnings } = parseRecord(text, 'test');
      assert.deepEqual(record, emptyRecord());
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /usage record test is damaged/);
    });
  }
  it('leaves damaged entries out and says how many', () => {
    const text = JSON.stringify({
      version: 1,
      updatedAt: 5,
      images: { good: { firstSeen: 1, lastUsed: 2, why: 'pulled', references: [], layersKey: '' }, bad: { firstSeen: 'x' }, odd: { firstSeen: 1, lastUsed: 2, why: 'magic', references: [], layersKey: '' } },
      removed: { r: { removedAt: null } },
    });
    const { record, warnings } = parseRecord(text, 'test');
    assert.deepEqual(Object.keys(record.images), ['good']);
    assert.deepEqual(warnings, ['usage record test: 3 damaged entries left out']);
  });
});

describe('usage record: times from the future (#12)', () => {
  const now = Date.UTC(2026, 11, 1);
  const table: { what: string; json: object }[] = [
    { what: 'updatedAt 1e300', json: { version: 1, updatedAt: 1e300, images: {}, removed: {} } },
    { what: 'lastRunAt next year', json: { version: 1, updatedAt: 0, lastRunAt: now + 365 * 86_400_000, images: {}, removed: {} } },
    {
      what: 'lastUsed and removedAt in the future',
      json: {
        version: 1,
        updatedAt: 0,
        images: { 'sha256:a': { firstSeen: 1, lastUsed: 9e15, why: 'tagged', references: [], layersKey: '' } },
        removed: { 'sha256:b': { removedAt: 9e15, references: [], layersKey: '' } },
      },
    },
  ];
  for (const { what, json } of table) {
    it(`${what}: set to now, with a warning`, () => {
      const { record, warnings } = parseRecord(JSON.stringify(json), 'test', now);
      const times = [record.updatedAt, record.lastRunAt ?? 0, ...Object.values(record.images).flatMap((e) => [e.firstSeen, e.lastUsed]), ...Object.values(record.removed).map((e) => e.removedAt)];
      assert.ok(times.every((t) => t <= now), JSON.stringify(record));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /in the future set to now/);
    });
  }
});
