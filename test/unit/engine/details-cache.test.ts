import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileDetailsCache, MemoryDetailsCache, detailsCacheFile, detailsKey } from '../../../src/engine/details-cache';

describe('FileDetailsCache', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-cache-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('1. what one run learnt, the next process reads back (directory made on save)', async () => {
    const file = path.join(dir, 'state', 'image-details.json');
    const first = new FileDetailsCache(file);
    first.set('sha256:a app:1', { layers: ['l1'], layerSizes: [10], lastTagged: 5 });
    await first.save();
    assert.deepEqual(new FileDetailsCache(file).get('sha256:a app:1'), { layers: ['l1'], layerSizes: [10], lastTagged: 5 });
  });

  it('1b. an unchanged engine rewrites nothing; a new entry or a dropped one does', async () => {
    const file = path.join(dir, 'cache.json');
    const first = new FileDetailsCache(file);
    first.set('a', { layers: ['x'] });
    first.set('b', { layers: ['y'] });
    await first.save();
    const written = fs.statSync(file).ino;
    const same = new FileDetailsCache(file);
    same.get('a');
    same.get('b');
    await same.save();
    assert.equal(fs.statSync(file).ino, written, 'all used, none added: the file was not replaced');
    same.get('a');
    same.get('b');
    same.set('c', { layers: ['z'] });
    await same.save();
    assert.notEqual(fs.statSync(file).ino, written);
    assert.ok(new FileDetailsCache(file).get('c'));
    const fewer = new FileDetailsCache(file);
    fewer.get('a');
    await fewer.save();
    assert.equal(new FileDetailsCache(file).get('b'), undefined, 'b no longer listed: dropped');
  });

  it('2. saving keeps only entries this snapshot used (images still present)', async () => {
    const file = path.join(dir, 'cache.json');
    const first = new FileDetailsCache(file);
    first.set('gone', { layers: ['x'] });
    first.set('kept', { layers: ['y'] });
    await first.save();
    const second = new FileDetailsCache(file);
    assert.ok(second.get('kept'));
    await second.save();
    assert.equal(new FileDetailsCache(file).get('gone'), undefined);
    assert.ok(new FileDetailsCache(file).get('kept'));
  });

  it('3. bounded in a long-running process: each save drops what the last snapshot did not see', async () => {
    const file = path.join(dir, 'cache.json');
    const cache = new FileDetailsCache(file);
    for (let cycle = 0; cycle < 5; cycle++) {
      cache.set(`image-${cycle}`, { layers: [`l${cycle}`] });
      if (cycle > 0) assert.ok(cache.get(`image-${cycle - 1}`)); // still listed this cycle
      await cache.save();
      assert.ok(cache.size <= 2, `cycle ${cycle}: ${cache.size} entries held`);
    }
    assert.equal(cache.get('image-0'), undefined);
    const onDisk = new FileDetailsCache(file);
    assert.ok(onDisk.get('image-4') && onDisk.get('image-3'));
    assert.equal(onDisk.get('image-2'), undefined);
  });

  it('4. a damaged, foreign or malformed file is an empty cache, not an error', () => {
    const file = path.join(dir, 'cache.json');
    for (const content of [
      '{not json',
      'null',
      JSON.stringify([['k', { layers: ['l'] }]]), // no version
      JSON.stringify({ version: 999, entries: [['k', { layers: ['l'] }]] }),
      JSON.stringify({ version: 1, entries: [['k', { nolayers: true }]] }),
      JSON.stringify({ version: 1, entries: [['k', { layers: [1, 2] }]] }),
      JSON.stringify({ version: 1, entries: [['k', { layers: ['l'], layerSizes: 'x' }]] }),
      JSON.stringify({ version: 1, entries: [['k', { layers: ['l'], layerSizes: [1, 2] }]] }),
      JSON.stringify({ version: 1, entries: [['k', { layers: ['l'], layerSizes: [-5] }]] }),
      JSON.stringify({ version: 1, entries: [['k', { layers: [''] }]] }),
    ]) {
      fs.writeFileSync(file, content);
      const cache = new FileDetailsCache(file);
      assert.equal(cache.get('k'), undefined, content);
      // Said, not silent (#12): the report carries it once.
      const warnings = cache.takeWarnings();
      assert.equal(warnings.length, 1, content);
      assert.match(warnings[0]!, /details cache .* (is not JSON|has the wrong shape|has version|damaged entries left out)/);
      assert.deepEqual(cache.takeWarnings(), []);
    }
    const missing = new FileDetailsCache(path.join(dir, 'missing.json'));
    assert.equal(missing.get('k'), undefined);
    assert.deepEqual(missing.takeWarnings(), [], 'a missing file is a first run, not damage');
  });

  it('5. the write is atomic: no temp file is left, and an unwritable place costs nothing but the cache', async () => {
    const file = path.join(dir, 'cache.json');
    const cache = new FileDetailsCache(file);
    cache.set('k', { layers: ['l'] });
    await cache.save();
    assert.deepEqual(fs.readdirSync(dir), ['cache.json']);
    const blocked = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocked, '');
    const elsewhere = new FileDetailsCache(path.join(blocked, 'cache.json'));
    elsewhere.set('k', { layers: ['l'] });
    await elsewhere.save(); // resolves
    assert.deepEqual(fs.readdirSync(dir).sort(), ['cache.json', 'not-a-dir']);
  });

  it('6. keys are the image ID plus the tag set (order-free); a retag asks again', () => {
    assert.equal(detailsKey('sha256:a', ['b:1', 'a:1']), detailsKey('sha256:a', ['a:1', 'b:1']));
    assert.notEqual(detailsKey('sha256:a', ['a:1']), detailsKey('sha256:a', ['a:1', 'a:2']));
    const memory = new MemoryDetailsCache();
    memory.set(detailsKey('sha256:a', ['a:1']), { layers: ['l'] });
    assert.equal(memory.get(detailsKey('sha256:a', ['a:2'])), undefined);
  });

  it('7. one file per engine host, inside the state directory', () => {
    const a = detailsCacheFile('/state', 'unix:///var/run/docker.sock');
    assert.equal(path.dirname(a), '/state');
    assert.match(path.basename(a), /^image-details-[0-9a-f]{12}\.json$/);
    assert.equal(a, detailsCacheFile('/state', 'unix:///var/run/docker.sock'));
    assert.notEqual(a, detailsCacheFile('/state', 'tcp://build-host:2376'));
  });
});
