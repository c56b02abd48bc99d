import assert from 'node:assert/strict';
import {
  familiarRepository,
  isNoneReference,
  normalizeReference,
  parseReference,
  repositoryOf,
  tagOf,
} from '../../../src/domain/reference';

const D = 'sha256:' + 'a'.repeat(64);

describe('reference', () => {
  describe('parseReference normalizes like the docker CLI', () => {
    const cases: { input: string; normalized: string; familiar: string; domain: string; path: string; tag?: string; digest?: string }[] = [
      { input: 'node', normalized: 'docker.io/library/node:latest', familiar: 'node:latest', domain: 'docker.io', path: 'library/node' },
      { input: 'node:20-alpine', normalized: 'docker.io/library/node:20-alpine', familiar: 'node:20-alpine', domain: 'docker.io', path: 'library/node', tag: '20-alpine' },
      { input: 'library/node:20', normalized: 'docker.io/library/node:20', familiar: 'node:20', domain: 'docker.io', path: 'library/node', tag: '20' },
      { input: 'docker.io/library/node:20', normalized: 'docker.io/library/node:20', familiar: 'node:20', domain: 'docker.io', path: 'library/node', tag: '20' },
      { input: 'docker.io/node', normalized: 'docker.io/library/node:latest', familiar: 'node:latest', domain: 'docker.io', path: 'library/node' },
      { input: 'index.docker.io/team/app:1', normalized: 'docker.io/team/app:1', familiar: 'team/app:1', domain: 'docker.io', path: 'team/app', tag: '1' },
      { input: 'index.docker.io/node', normalized: 'docker.io/library/node:latest', familiar: 'node:latest', domain: 'docker.io', path: 'library/node' },
      { input: 'team/app:1', normalized: 'docker.io/team/app:1', familiar: 'team/app:1', domain: 'docker.io', path: 'team/app', tag: '1' },
      { input: 'library/a/b', normalized: 'docker.io/library/a/b:latest', familiar: 'library/a/b:latest', domain: 'docker.io', path: 'library/a/b' },
      { input: 'ghcr.io/x/y:1', normalized: 'ghcr.io/x/y:1', familiar: 'ghcr.io/x/y:1', domain: 'ghcr.io', path: 'x/y', tag: '1' },
      { input: 'localhost:5000/a/b:t', normalized: 'localhost:5000/a/b:t', familiar: 'localhost:5000/a/b:t', domain: 'localhost:5000', path: 'a/b', tag: 't' },
      { input: 'localhost/app', normalized: 'localhost/app:latest', familiar: 'localhost/app:latest', domain: 'localhost', path: 'app' },
      { input: 'localhost:5000', normalized: 'docker.io/library/localhost:5000', familiar: 'localhost:5000', domain: 'docker.io', path: 'library/localhost', tag: '5000' },
      { input: 'myhost:5000/app', normalized: 'myhost:5000/app:latest', familiar: 'myhost:5000/app:latest', domain: 'myhost:5000', path: 'app' },
      { input: 'Registry/app', normalized: 'Registry/app:latest', familiar: 'Registry/app:latest', domain: 'Registry', path: 'app' },
      { input: 'REG.example.com:443/a', normalized: 'REG.example.com:443/a:latest', familiar: 'REG.example.com:443/a:latest', domain: 'REG.example.com:443', path: 'a' },
      { input: '[::1]:5000/app:v1', normalized: '[::1]:5000/app:v1', familiar: '[::1]:5000/app:v1', domain: '[::1]:5000', path: 'app', tag: 'v1' },
      { input: 'team/app:V1.2_RC', normalized: 'docker.io/team/app:V1.2_RC', familiar: 'team/app:V1.2_RC', domain: 'docker.io', path: 'team/app', tag: 'V1.2_RC' },
      { input: `node@${D}`, normalized: `docker.io/library/node@${D}`, familiar: `node@${D}`, domain: 'docker.io', path: 'library/node', digest: D },
      { input: `node:20@${D}`, normalized: `docker.io/library/node:20@${D}`, familiar: `node:20@${D}`, domain: 'docker.io', path: 'library/node', tag: '20', digest: D },
      { input: 'my_team/a.b-c__d:1', normalized: 'docker.io/my_team/a.b-c__d:1', familiar: 'my_team/a.b-c__d:1', domain: 'docker.io', path: 'my_team/a.b-c__d', tag: '1' },
      { input: 'abcdef012345', normalized: 'docker.io/library/abcdef012345:latest', familiar: 'abcdef012345:latest', domain: 'docker.io', path: 'library/abcdef012345' },
    ];
    for (const c of cases) {
      it(`${c.input} -> ${c.normalized}`, () => {
        const r = parseReference(c.input);
        assert.deepEqual(r, {
          domain: c.domain,
          path: c.path,
          repository: `${c.domain}/${c.path}`,
          tag: c.tag,
          digest: c.digest,
          normalized: c.normalized,
          familiar: c.familiar,
        });
        assert.equal(normalizeReference(c.input), c.normalized);
        // Normalizing is idempotent.
        assert.equal(normalizeReference(c.normalized), c.normalized);
        assert.equal(normalizeReference(c.familiar), c.normalized);
      });
    }
  });

  describe('parseReference rejects invalid references', () => {
    const cases: { input: string; message: RegExp }[] = [
      { input: '', message: /empty/ },
      { input: ' node', message: /whitespace/ },
      { input: 'node 20', message: /whitespace/ },
      { input: 'Node', message: /must be lowercase/ },
      { input: 'team/App:1', message: /must be lowercase/ },
      { input: 'docker.io/Library/node', message: /must be lowercase/ },
      { input: 'f'.repeat(64), message: /image ID/ },
      { input: 'node:', message: /not a valid tag/ },
      { input: 'node:-x', message: /not a valid tag/ },
      { input: 'node:.x', message: /not a valid tag/ },
      { input: `node:${'x'.repeat(129)}`, message: /not a valid tag/ },
      { input: 'node:a/b', message: /invalid|not a valid/ },
      { input: 'a//b', message: /empty path component/ },
      { input: 'team/', message: /empty path component/ },
      { input: '/app', message: /not a valid|empty/ },
      { input: 'team/-app', message: /not a valid repository path component/ },
      { input: 'team/app-', message: /not a valid repository path component/ },
      { input: 'team/a...b', message: /not a valid repository path component/ },
      { input: 'team/a___b', message: /not a valid repository path component/ },
      { input: 'team/a$b', message: /not a valid repository path component/ },
      { input: 'node@sha256:abc', message: /not a valid digest|64 lowercase/ },
      { input: `node@sha256:${'A'.repeat(64)}`, message: /64 lowercase/ },
      { input: `node@sha256:${'a'.repeat(63)}`, message: /not a valid digest|64 lowercase/ },
      { input: `node@md5:${'a'.repeat(32)}`, message: /unsupported digest algorithm/ },
      { input: `node@${D}@${D}`, message: /not a valid digest|invalid/ },
      { input: 'my_host.io/app', message: /not a valid registry host/ },
      { input: 'host:port/app', message: /not a valid registry host/ },
      { input: `example.com/${'a'.repeat(250)}`, message: /longer than 255/ },
    ];
    for (const c of cases) {
      it(`rejects "${c.input.length > 40 ? c.input.slice(0, 40) + '…' : c.input}"`, () => {
        assert.throws(() => parseReference(c.input), (e: Error) => {
          assert.ok(e instanceof Error);
          assert.match(e.message, /^Invalid image reference "/);
          assert.match(e.message, c.message);
          return true;
        });
        assert.throws(() => normalizeReference(c.input));
      });
    }
  });

  describe('repositoryOf / tagOf', () => {
    const cases: [string, string, string | undefined][] = [
      ['docker.io/library/node:20', 'docker.io/library/node', '20'],
      ['localhost:5000/a/b:t', 'localhost:5000/a/b', 't'],
      ['localhost:5000/a/b', 'localhost:5000/a/b', undefined],
      [`localhost:5000/a/b@${D}`, 'localhost:5000/a/b', undefined],
      [`docker.io/library/node:20@${D}`, 'docker.io/library/node', '20'],
      ['[::1]:5000/app:v1', '[::1]:5000/app', 'v1'],
    ];
    for (const [ref, repo, tag] of cases) {
      it(ref, () => {
        assert.equal(repositoryOf(ref), repo);
        assert.equal(tagOf(ref), tag);
      });
    }
  });

  describe('familiarRepository', () => {
    const cases: [string, string][] = [
      ['docker.io/library/node', 'node'],
      ['docker.io/team/app', 'team/app'],
      ['docker.io/library/a/b', 'library/a/b'],
      ['ghcr.io/library/node', 'ghcr.io/library/node'],
      ['localhost:5000/app', 'localhost:5000/app'],
    ];
    for (const [repo, familiar] of cases) it(`${repo} -> ${familiar}`, () => assert.equal(familiarRepository(repo), familiar));
  });

  describe('isNoneReference', () => {
    const cases: [string, boolean][] = [
      ['<none>:<none>', true],
      ['<none>@<none>', true],
      ['node:20', false],
      ['docker.io/library/none:latest', false],
    ];
    for (const [text, none] of cases) it(`${text} -> ${none}`, () => assert.equal(isNoneReference(text), none));
  });
});
