import assert from 'node:assert/strict';
import { parseBeforeJob } from '../../../src/settings/fronts';
import { SettingsError } from '../../../src/settings/kinds';

// The fronts' pre step: a pattern input a later step sets does not parse yet and is left to post.
describe('settings before the job (the fronts\' pre step)', () => {
  const cases: { name: string; raw: Record<string, string>; deferred: string[]; current?: number }[] = [
    { name: '1. nothing to defer', raw: { current: 'app:ci-1', keep: '2' }, deferred: [], current: 1 },
    { name: '2. GitHub: a later output expands to empty', raw: { current: 'app:', keep: '2' }, deferred: ['current'], current: 0 },
    { name: '3. Azure: an unexpanded macro', raw: { current: 'app:$(imageTag)' }, deferred: ['current'], current: 0 },
    { name: '4. two pattern inputs', raw: { current: 'app:', repositories: 'team/$(repo)' }, deferred: ['current', 'repositories'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { settings, deferred } = parseBeforeJob(c.raw);
      assert.deepEqual(deferred.map((e) => e.setting), c.deferred);
      if (c.current !== undefined) assert.equal(settings.current.length, c.current);
    });
  }

  it('6. ensure-free cleans in the pre step itself: a deferred pattern fails it there', () => {
    assert.throws(() => parseBeforeJob({ current: 'app:', 'ensure-free': '1GB' }), (e: unknown) => e instanceof SettingsError && e.setting === 'current');
  });

  it('5. any other bad input still fails at once', () => {
    assert.throws(() => parseBeforeJob({ current: 'app:', keep: 'two' }), (e: unknown) => e instanceof SettingsError && e.setting === 'keep');
  });
});
