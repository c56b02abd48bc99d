import { strict as assert } from 'node:assert';
import { describeKeep } from '../../../src/report/reasons';

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
      assert.equal(describeKeep({ kind: 'newest', reference: `${repository}:x`, repository, rank, keep }), text);
    });
  }
});
