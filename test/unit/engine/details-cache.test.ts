import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileDetailsCache } from '../../../src/engine/details-cache';

describe('FileDetailsCache', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-cache-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('1. what one run learnt, the next process reads back', async () => {
    const file = path.join(dir, 'state', 'image-details.json');
    const first = new FileDetailsCache(file);
    first.set('sha256:a app:1', { layers: ['l1'], layerSizes: [10] });
    await first.save();
    assert.deepEqual(new FileDetailsCache(file).get('sha256:a app:1'), { layers: ['l1'], layerSizes: [10] });
  });

  it('2. saving keeps only entries this run used (images still present)', async () => {
    const file = path.join(dir, 'cache.json');
    const first = new FileDetailsCache(file);
    first.set('gone', { layers: ['x'] });
    first.set('kept', { layers: ['y'] });
    await first.save();
    const second = new FileDetailsCache(file);
    assert.ok(second.get('kept'));
    await second.save();
    assert.equal(new FileDetailsCache(file).get('gone'), undefined);
  });

  it('3. a damaged file is an empty cache, not an error', () => {
    const file = path.join(dir, 'cache.json');
    fs.writeFileSync(file, '{not json');
    assert.equal(new FileDetailsCache(file).get('anything'), undefined);
    fs.writeFileSync(file, JSON.stringify([['k', { nolayers: true }]]));
    assert.equal(new FileDetailsCache(file).get('k'), undefined);
  });
});
