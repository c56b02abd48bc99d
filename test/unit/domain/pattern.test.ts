import assert from 'node:assert/strict';
import { parsePattern, parsePatternWithParts, parseRepositoryPattern } from '../../../src/domain/pattern';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const HEX64 = 'abcdef0123456789'.repeat(4);

interface Case {
  pattern: string;
  matches: string[];
  rejects: string[];
}

describe('pattern', () => {
  describe('matchesReference (normalized references)', () => {
    const cases: Case[] = [
      // No wildcard: normalized like a reference, compared exactly.
      { pattern: 'node', matches: ['docker.io/library/node:20', 'docker.io/library/node:latest', `docker.io/library/node@${D1}`], rejects: ['docker.io/team/node:20', 'ghcr.io/library/node:20', 'docker.io/library/nodejs:20'] },
      { pattern: 'library/node', matches: ['docker.io/library/node:20'], rejects: ['docker.io/library/nodejs:20'] },
      { pattern: 'docker.io/library/node', matches: ['docker.io/library/node:20'], rejects: ['docker.io/library/node2:20'] },
      { pattern: 'index.docker.io/node', matches: ['docker.io/library/node:20'], rejects: [] },
      { pattern: 'node:20', matches: ['docker.io/library/node:20', `docker.io/library/node:20@${D1}`], rejects: ['docker.io/library/node:20-alpine', 'docker.io/library/node:2', `docker.io/library/node@${D1}`] },
      { pattern: 'team/app:ci-42', matches: ['docker.io/team/app:ci-42'], rejects: ['docker.io/team/app:ci-421', 'docker.io/other/app:ci-42'] },
      { pattern: 'localhost:5000/team/app', matches: ['localhost:5000/team/app:1'], rejects: ['localhost/team/app:1', 'localhost:5001/team/app:1'] },
      { pattern: 'localhost:5000/team/app:1', matches: ['localhost:5000/team/app:1'], rejects: ['localhost:5000/team/app:2'] },
      // `*` stays within a component, matched against normalized and familiar forms.
      { pattern: 'node:*', matches: ['docker.io/library/node:20-alpine', 'docker.io/library/node:latest'], rejects: ['docker.io/library/nodejs:20', 'ghcr.io/x/node:20', `docker.io/library/node@${D1}`] },
      { pattern: '*:ci-3291', matches: ['docker.io/library/fooproject:ci-3291', 'docker.io/library/node:ci-3291'], rejects: ['docker.io/team/app:ci-3291', 'ghcr.io/app:ci-3291', 'docker.io/library/fooproject:ci-32910'] },
      { pattern: '**:ci-3291', matches: ['docker.io/library/fooproject:ci-3291', 'docker.io/team/app:ci-3291', 'localhost:5000/a/b/c:ci-3291'], rejects: ['docker.io/team/app:ci-3292'] },
      { pattern: 'team/*', matches: ['docker.io/team/app:1', 'docker.io/team/web@' + D1], rejects: ['docker.io/team/a/b:1', 'docker.io/other/app:1', 'ghcr.io/team/app:1'] },
      { pattern: 'team/**', matches: ['docker.io/team/app:1', 'docker.io/team/a/b:1'], rejects: ['docker.io/teams/app:1'] },
      { pattern: 'library/*', matches: ['docker.io/library/node:20', 'docker.io/library/alpine:3'], rejects: ['docker.io/team/app:1'] },
      { pattern: 'docker.io/nod*', matches: ['docker.io/library/node:20'], rejects: ['docker.io/team/node:20'] },
      { pattern: 'mcr.microsoft.com/**', matches: ['mcr.microsoft.com/dotnet/sdk:8.0', 'mcr.microsoft.com/powershell:latest', `mcr.microsoft.com/a/b/c@${D1}`], rejects: ['docker.io/library/node:20', 'mcr.microsoft.com.evil.io/x:1'] },
      { pattern: 'mcr.microsoft.com/*', matches: ['mcr.microsoft.com/powershell:latest'], rejects: ['mcr.microsoft.com/dotnet/sdk:8.0'] },
      { pattern: '*.azurecr.io/**', matches: ['team.azurecr.io/app:1', 'a.b.azurecr.io/x/y:1'], rejects: ['azurecr.io/app:1', 'team.azurecr.io.evil.com/app:1'] },
      { pattern: 'localhost:5000/*', matches: ['localhost:5000/app:1'], rejects: ['localhost:5000/a/b:1', 'localhost/app:1'] },
      { pattern: 'app-?', matches: ['docker.io/library/app-1:x'], rejects: ['docker.io/library/app-10:x', 'docker.io/library/app-:x'] },
      { pattern: '**', matches: ['docker.io/library/node:20', 'ghcr.io/a/b@' + D1], rejects: [] },
      { pattern: '*', matches: ['docker.io/library/node:20'], rejects: ['docker.io/team/app:1', 'ghcr.io/x:1'] },
      // Tag wildcards.
      { pattern: 'app:ci-*', matches: ['docker.io/library/app:ci-1', 'docker.io/library/app:ci-'.concat('x')], rejects: ['docker.io/library/app:v1', 'docker.io/library/app:CI-1'] },
      { pattern: 'app:*-alpine', matches: ['docker.io/library/app:20-alpine'], rejects: ['docker.io/library/app:20-alpine3'] },
      { pattern: 'app:v?', matches: ['docker.io/library/app:v1'], rejects: ['docker.io/library/app:v10', 'docker.io/library/app:v'] },
      { pattern: 'team/*:V1.*', matches: ['docker.io/team/x:V1.2'], rejects: ['docker.io/team/x:v1.2'] },
      // Digests match exactly.
      { pattern: `node@${D1}`, matches: [`docker.io/library/node@${D1}`, `docker.io/library/node:20@${D1}`], rejects: [`docker.io/library/node@${D2}`, 'docker.io/library/node:20'] },
      { pattern: `node:20@${D1}`, matches: [`docker.io/library/node:20@${D1}`], rejects: [`docker.io/library/node@${D1}`, `docker.io/library/node:21@${D1}`] },
      { pattern: `**@${D1}`, matches: [`ghcr.io/x/y@${D1}`], rejects: [`ghcr.io/x/y@${D2}`] },
      { pattern: `@${D1}`, matches: [`ghcr.io/x/y@${D1}`, `docker.io/library/node@${D1}`], rejects: [`ghcr.io/x/y@${D2}`] },
      // Bare hex: an ID prefix and a repository name at once.
      { pattern: 'abcdef012345', matches: ['docker.io/library/abcdef012345:1'], rejects: ['docker.io/library/abcdef0123456:1'] },
      // Tagless empty repository: any repository with that tag.
      { pattern: ':ci-7', matches: ['ghcr.io/x/y:ci-7', 'docker.io/library/node:ci-7'], rejects: ['ghcr.io/x/y:ci-8'] },
    ];
    for (const c of cases) {
      describe(c.pattern, () => {
        const p = parsePattern(c.pattern);
        it('keeps the text', () => assert.equal(p.text, c.pattern));
        for (const ref of c.matches) it(`matches ${ref}`, () => assert.equal(p.matchesReference(ref), true));
        for (const ref of c.rejects) it(`does not match ${ref}`, () => assert.equal(p.matchesReference(ref), false));
      });
    }
    it('also accepts familiar references', () => {
      assert.equal(parsePattern('node:*').matchesReference('node:20'), true);
      assert.equal(parsePattern('team/*').matchesReference('team/app'), true);
    });
    it('matches nothing it cannot parse', () => {
      assert.equal(parsePattern('**').matchesReference('<none>:<none>'), false);
      assert.equal(parsePattern('**').matchesReference('Not Valid'), false);
    });
  });

  describe('matchesRepository (scope)', () => {
    const cases: Case[] = [
      { pattern: 'app', matches: ['docker.io/library/app'], rejects: ['docker.io/team/app', 'docker.io/library/app2'] },
      { pattern: 'team/*', matches: ['docker.io/team/app', 'docker.io/team/web'], rejects: ['docker.io/team/a/b', 'docker.io/library/app'] },
      { pattern: 'team/**', matches: ['docker.io/team/a/b'], rejects: ['docker.io/other/a'] },
      { pattern: 'ghcr.io/org/**', matches: ['ghcr.io/org/a', 'ghcr.io/org/a/b'], rejects: ['ghcr.io/other/a', 'docker.io/org/a'] },
      { pattern: 'app:1', matches: ['docker.io/library/app'], rejects: ['docker.io/library/web'] },
      { pattern: `sha256:${HEX64}`, matches: [], rejects: ['docker.io/library/app'] },
    ];
    for (const c of cases) {
      describe(c.pattern, () => {
        const p = parsePattern(c.pattern);
        for (const repo of c.matches) it(`matches ${repo}`, () => assert.equal(p.matchesRepository(repo), true));
        for (const repo of c.rejects) it(`does not match ${repo}`, () => assert.equal(p.matchesRepository(repo), false));
      });
    }
  });

  describe('image IDs', () => {
    const cases: { pattern: string; idPrefix?: string; isReference: boolean }[] = [
      { pattern: `sha256:${HEX64}`, idPrefix: HEX64, isReference: false },
      { pattern: 'sha256:abcdef012345', idPrefix: 'abcdef012345', isReference: false },
      { pattern: HEX64, idPrefix: HEX64, isReference: false },
      { pattern: 'abcdef012345', idPrefix: 'abcdef012345', isReference: true },
      { pattern: HEX64.slice(0, 40), idPrefix: HEX64.slice(0, 40), isReference: true },
      { pattern: 'abcdef01234', idPrefix: undefined, isReference: true },
      { pattern: 'abcdefghijkl', idPrefix: undefined, isReference: true },
      { pattern: 'abcdef012345:1', idPrefix: undefined, isReference: true },
    ];
    for (const c of cases) {
      it(`${c.pattern} -> idPrefix ${c.idPrefix ?? 'none'}, reference ${c.isReference}`, () => {
        const p = parsePattern(c.pattern);
        assert.equal(p.idPrefix, c.idPrefix);
        const asRef = `docker.io/library/${c.pattern.replace(/^sha256:/, '')}${c.pattern.includes(':') && !c.pattern.startsWith('sha256:') ? '' : ':1'}`;
        assert.equal(p.matchesReference(asRef), c.isReference, asRef);
        assert.equal(parsePatternWithParts(c.pattern).parts.idOnly, !c.isReference);
      });
    }
    it('an ID pattern does not match a repository named sha256', () => {
      assert.equal(parsePattern('sha256:abcdef012345').matchesReference('docker.io/library/sha256:abcdef012345'), false);
    });
  });

  describe('rejects unparsable patterns', () => {
    const cases: { pattern: string; message: RegExp }[] = [
      { pattern: '', message: /empty/ },
      { pattern: ' node', message: /whitespace/ },
      { pattern: 'node :1', message: /whitespace/ },
      { pattern: 'a\tb', message: /whitespace/ },
      { pattern: 'Node', message: /lowercase/ },
      { pattern: 'team/App', message: /lowercase/ },
      { pattern: 'team/App*', message: /lowercase/ },
      { pattern: 'Node:*', message: /lowercase/ },
      { pattern: 'a$b', message: /not a valid/ },
      { pattern: 'team/a+b*', message: /not a valid/ },
      { pattern: 'te am/*'.replace(' ', '!'), message: /not a valid/ },
      { pattern: '***', message: /\*\*\*/ },
      { pattern: 'team/***', message: /\*\*\*/ },
      { pattern: `a@${D1}@${D2}`, message: /more than one "@"/ },
      { pattern: 'a//b', message: /empty path component/ },
      { pattern: 'a//*', message: /empty path component/ },
      { pattern: '*/', message: /empty path component/ },
      { pattern: '/*', message: /empty path component/ },
      { pattern: 'node:', message: /tag after ":" is empty/ },
      { pattern: 'node:-x', message: /not a valid tag/ },
      { pattern: 'node:a$b', message: /not a valid tag/ },
      { pattern: 'node:**', message: /"\*\*" is for repositories/ },
      { pattern: `node:${'x'.repeat(129)}`, message: /not a valid tag/ },
      { pattern: 'node@', message: /digest after "@" is empty/ },
      { pattern: 'node@sha256:abc', message: /not a valid digest/ },
      { pattern: 'node@sha256:*', message: /not a valid digest/ },
      { pattern: `node@sha256:${'A'.repeat(64)}`, message: /not a valid digest/ },
      { pattern: ':', message: /empty/ },
      { pattern: 'my_host.io/*', message: /registry host/ },
      { pattern: `sha256:${HEX64.toUpperCase()}`, message: /image ID is sha256: followed by/ },
      { pattern: 'sha256:abc', message: /image ID is sha256: followed by/ },
      { pattern: `sha256:${HEX64}0`, message: /image ID is sha256: followed by/ },
      { pattern: 'SHA256:abcdef012345', message: /image ID is sha256: followed by/ },
      { pattern: 'team/-*', message: /not a valid repository path component/ },
    ];
    for (const c of cases) {
      it(`rejects ${JSON.stringify(c.pattern)}`, () => {
        assert.throws(() => parsePattern(c.pattern), (e: Error) => {
          assert.match(e.message, /^Invalid pattern "/);
          assert.match(e.message, c.message);
          return true;
        });
      });
    }
  });

  describe('parseRepositoryPattern', () => {
    for (const ok of ['app', 'team/*', 'ghcr.io/org/**', 'abcdef012345']) {
      it(`accepts ${ok}`, () => assert.equal(parseRepositoryPattern(ok).text, ok));
    }
    for (const [bad, why] of [
      ['app:1', /no tag or digest/],
      [`app@${D1}`, /no tag or digest/],
      [`sha256:${HEX64}`, /image ID/],
      ['team/Web*', /lowercase/],
    ] as const) {
      it(`rejects ${bad}`, () => assert.throws(() => parseRepositoryPattern(bad), why));
    }
  });
});
