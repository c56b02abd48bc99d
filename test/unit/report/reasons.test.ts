import { strict as assert } from 'node:assert';
import { describeKeep, describeRemove } from '../../../src/report/reasons';
import type { BuildPlace } from '../../../src/planner/plan';

describe('the "newest" keep reason', () => {
  const table: { rank: number; keep: number; repository: string; text: string }[] = [
    { rank: 1, keep: 2, repository: 'mcr.microsoft.com/dotnet/sdk', text: 'newest in mcr.microsoft.com/dotnet/sdk, within keep 2' },
    { rank: 2, keep: 2, repository: 'docker.io/library/webapi', text: '2nd newest in webapi, within keep 2' },
    { rank: 3, keep: 5, repository: 'docker.io/library/app', text: '3rd newest in app, within keep 5' },
    { rank: 4, keep: 5, repository: 'docker.io/library/app', text: '4th newest in app, within keep 5' },
    { rank: 11, keep: 20, repository: 'docker.io/library/app', text: '11th newest in app, within keep 20' },
    { rank: 12, keep: 20, repository: 'docker.io/library/app', text: '12th newest in app, within keep 20' },
    { rank: 21, keep: 30, repository: 'docker.io/library/app', text: '21st newest in app, within keep 30' },
    { rank: 113, keep: 200, repository: 'docker.io/library/app', text: '113th newest in app, within keep 200' },
  ];
  for (const { rank, keep, repository, text } of table) {
    it(`rank ${rank} of keep ${keep}: "${text}"`, () => {
      assert.equal(describeKeep({ kind: 'newest', reference: `${repository}:x`, repository, rank, position: rank, currentNewer: false, keep }), text);
    });
  }
});

describe('build places say exactly what happened (the current build takes no slot)', () => {
  const app = 'docker.io/library/fooproject';
  const table: { kind: 'newest' | 'old-build'; place: Omit<BuildPlace, 'repository'>; text: string }[] = [
    { kind: 'newest', place: { rank: 1, position: 2, currentNewer: true, keep: 2 }, text: '2nd newest in fooproject, within keep 2 besides the current build' },
    { kind: 'old-build', place: { rank: 3, position: 4, currentNewer: true, keep: 2 }, text: '4th newest in fooproject, beyond keep 2 besides the current build' },
    { kind: 'old-build', place: { rank: 3, position: 3, currentNewer: false, keep: 2 }, text: '3rd newest in fooproject, beyond keep 2' },
    { kind: 'old-build', place: { rank: 1, position: 1, currentNewer: false, keep: 0 }, text: 'newest in fooproject, but keep 0 keeps no build besides the current one' },
    { kind: 'old-build', place: { rank: 1, position: 2, currentNewer: true, keep: 0 }, text: '2nd newest in fooproject, beyond keep 0 besides the current build' },
    { kind: 'old-build', place: { rank: 2, position: 2, currentNewer: false, keep: 0 }, text: '2nd newest in fooproject, beyond keep 0' },
  ];
  for (const [i, c] of table.entries()) {
    it(`${i + 1}. ${c.kind} ${JSON.stringify(c.place)}: "${c.text}"`, () => {
      const r = { kind: c.kind, reference: `${app}:x`, repository: app, ...c.place };
      assert.equal(r.kind === 'newest' ? describeKeep(r as never) : describeRemove(r as never), c.text);
    });
  }
});
