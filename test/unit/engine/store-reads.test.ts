import { strict as assert } from 'node:assert';
import { readRacingChanges } from '../../../src/engine/api-errors';

/** An engine answer as dockerode rejects it. */
const answer = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });
const raced = () => answer(404, 'snapshot sha256:1d31 does not exist: not found');
const podmanRaced = () => answer(500, 'reading image "77470de1": locating image with ID "77470de1": image not known');

describe('a read of the whole store that meets another job change (containerd store, Podman)', () => {
  // Pauses of 1, 2, 4 ... ms in a window of 100 ms: at most 7 tries.
  const CASES: { name: string; failures: Error[]; calls: number | 'window'; fails?: RegExp }[] = [
    { name: 'answers at once', failures: [], calls: 1 },
    { name: 'a 404 mid-read is asked again', failures: [raced(), raced(), raced()], calls: 4 },
    { name: "Podman's 500 for an image gone mid-read is asked again", failures: [podmanRaced()], calls: 2 },
    { name: "dockerd 20.10's 500 for a layer gone mid-read is asked again", failures: [answer(500, 'layer does not exist')], calls: 2 },
    { name: 'past its window, the last answer is the error', failures: Array.from({ length: 50 }, raced), calls: 'window', fails: /snapshot .* does not exist/ },
    { name: 'any other answer is not asked again', failures: [answer(500, 'server error')], calls: 1, fails: /server error/ },
    { name: 'nor a 500 of another kind on Podman', failures: [answer(500, 'database is locked')], calls: 1, fails: /database is locked/ },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      let calls = 0;
      const read = async () => {
        const failure = c.failures[calls++];
        if (failure) throw failure;
        return 'listed';
      };
      const started = Date.now();
      const result = readRacingChanges(read, 100, 1);
      if (c.fails) await assert.rejects(result, c.fails);
      else assert.equal(await result, 'listed');
      if (c.calls === 'window') {
        assert.ok(calls >= 3 && calls <= 8, `${calls} tries`);
        assert.ok(Date.now() - started < 100, 'no pause begun past the window');
      } else assert.equal(calls, c.calls);
    });
  }
});
