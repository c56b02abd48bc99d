import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { FileUsageStore } from '../../../src/usage/file-store';
import { emptyRecord, type UsageEntry, type UsageRecord } from '../../../src/usage/record';

const run = promisify(execFile);

const entry = (n: number): UsageEntry => ({ firstSeen: n, lastUsed: n, why: 'pulled', references: [`app:${n}`], layersKey: '' });
const adding = (id: string, n = 1) => (current: UsageRecord): UsageRecord => ({
  ...current,
  updatedAt: Math.max(current.updatedAt, n),
  images: { ...current.images, [id]: entry(n) },
});

describe('FileUsageStore', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-usage-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a missing file reads as an empty record, without warnings', async () => {
    const store = new FileUsageStore(path.join(dir, 'none.json'));
    assert.deepEqual(await store.read(), { record: emptyRecord(), warnings: [] });
    assert.equal(store.description, `file ${path.join(dir, 'none.json')}`);
  });

  it('update creates the directory, writes JSON atomically and leaves no temp or lock files', async () => {
    const file = path.join(dir, 'deep', 'state', 'usage.json');
    const store = new FileUsageStore(file);
    const { record, warnings } = await store.update(adding('a', 5));
    assert.deepEqual(warnings, []);
    assert.deepEqual(record.images.a, entry(5));
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), record);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['usage.json']);
    // A new store object (a new run) sees it.
    assert.deepEqual((await new FileUsageStore(file).read()).record, record);
  });

  it('replaces the file by rename: a reader holding the old file keeps a whole old version', async () => {
    const file = path.join(dir, 'usage.json');
    const store = new FileUsageStore(file);
    await store.update(adding('a'));
    const before = fs.statSync(file).ino;
    const oldHandle = fs.openSync(file, 'r');
    await store.update(adding('b', 2));
    assert.notEqual(fs.statSync(file).ino, before, 'a new inode: written aside and renamed over');
    const oldText = fs.readFileSync(oldHandle, 'utf8');
    fs.closeSync(oldHandle);
    assert.deepEqual(Object.keys(JSON.parse(oldText).images), ['a']);
    assert.deepEqual(Object.keys((await store.read()).record.images).sort(), ['a', 'b']);
  });

  for (const [name, text] of [
    ['truncated JSON', '{"version":1,"images":{"a":'],
    ['garbage', '\u0000\u0001binary'],
    ['a wrong shape', '{"version":1,"images":[],"removed":{}}'],
  ] as const) {
    it(`a damaged file (${name}) is reported and rebuilt, never fatal`, async () => {
      const file = path.join(dir, 'usage.json');
      fs.writeFileSync(file, text);
      const store = new FileUsageStore(file);
      const read = await store.read();
      assert.deepEqual(read.record, emptyRecord());
      assert.equal(read.warnings.length, 1);
      assert.match(read.warnings[0]!, /usage\.json is damaged/);
      const updated = await store.update(adding('fresh'));
      assert.equal(updated.warnings.length, 1, 'the update says it started over');
      assert.deepEqual(Object.keys(updated.record.images), ['fresh']);
      assert.deepEqual(await store.read(), { record: updated.record, warnings: [] });
    });
  }

  it('an unreadable path is reported, not thrown', async () => {
    const store = new FileUsageStore(dir); // a directory
    const read = await store.read();
    assert.deepEqual(read.record, emptyRecord());
    assert.match(read.warnings[0]!, /unreadable/);
  });

  it('20 interleaved updates each adding one image: all 20 are there', async () => {
    const file = path.join(dir, 'usage.json');
    const stores = Array.from({ length: 4 }, () => new FileUsageStore(file));
    await Promise.all(Array.from({ length: 20 }, (_, n) => stores[n % 4]!.update(adding(`img-${n}`, n))));
    const { record } = await stores[0]!.read();
    assert.deepEqual(Object.keys(record.images).sort(), Array.from({ length: 20 }, (_, n) => `img-${n}`).sort());
    assert.equal(record.updatedAt, 19);
  });

  it('4 processes x 5 updates each: nothing lost', async () => {
    const file = path.join(dir, 'usage.json');
    const worker = path.join(__dirname, 'file-store-worker.js');
    await Promise.all(['p0', 'p1', 'p2', 'p3'].map((p) => run(process.execPath, [worker, file, p, '5'])));
    const { record, warnings } = await new FileUsageStore(file).read();
    assert.deepEqual(warnings, []);
    assert.equal(Object.keys(record.images).length, 20);
  });

  it('a stale lock left by a crashed run is broken', async () => {
    const file = path.join(dir, 'usage.json');
    const lock = `${file}.lock`;
    fs.mkdirSync(lock);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    const { record } = await new FileUsageStore(file, { staleMs: 5_000 }).update(adding('after-crash'));
    assert.ok(record.images['after-crash']);
    assert.equal(fs.existsSync(lock), false);
  });

  it('gives up with a clear error when a live lock is held too long', async () => {
    const file = path.join(dir, 'usage.json');
    fs.mkdirSync(`${file}.lock`); // fresh: not stale
    await assert.rejects(new FileUsageStore(file, { waitMs: 300, staleMs: 30_000 }).update(adding('x')), /cannot lock the usage record/);
  });
});
