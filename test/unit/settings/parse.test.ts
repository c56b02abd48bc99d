import assert from 'node:assert/strict';
import { parseSettings, SETTING_NAMES, SettingsError, type RawSettings } from '../../../src/settings/parse';
import type { Settings } from '../../../src/settings/settings';

const HEX64 = 'e'.repeat(64);

/** Settings with patterns reduced to their text, to compare with deepEqual. */
function plain(s: Settings) {
  const texts = (ps: { text: string }[]) => ps.map((p) => p.text);
  return { ...s, current: texts(s.current), protect: texts(s.protect), repositories: texts(s.repositories) };
}

function expectError(raw: RawSettings, setting: string, value: string, expected?: RegExp): void {
  assert.throws(
    () => parseSettings(raw),
    (e: unknown) => {
      assert.ok(e instanceof SettingsError, `not a SettingsError: ${String(e)}`);
      assert.equal(e.setting, setting);
      assert.equal(e.value, value);
      assert.equal(e.message, `Invalid ${setting} "${value}": expected ${e.expected}.`);
      if (expected) assert.match(e.expected, expected);
      return true;
    },
  );
}

describe('parseSettings', () => {
  it('defaults', () => {
    assert.deepEqual(plain(parseSettings({})), {
      keep: 2,
      current: [],
      protect: [],
      protectLabels: [],
      repositories: [],
      dockerfiles: [],
      minAgeMs: 3_600_000,
      dangling: true,
      maxRemovals: undefined,
      dryRun: false,
      order: 'created',
      host: undefined,
      space: {
        maxImageBytes: undefined,
        targetImageBytes: undefined,
        minFree: undefined,
        targetFree: undefined,
        minFreeInodes: undefined,
        targetFreeInodes: undefined,
        freePath: '/var/lib/docker',
        maxUnusedMs: undefined,
        evictKeptBuilds: false,
        evictBaseImages: false,
        evictionOrder: 'cost',
        pullBytesPerSecond: 50e6,
        maxDockerBytes: undefined,
        targetDockerBytes: undefined,
        evictBuildCache: false,
        ensureFreeBytes: undefined,
      },
      usage: { store: 'file', file: undefined, regretWindowMs: 7 * 86_400_000 },
      buildCache: { keepBytes: undefined, maxAgeMs: undefined },
      containersOlderThanMs: undefined,
      networksOlderThanMs: undefined,
      volumes: { olderThanMs: undefined, named: false, protect: [], buildxOlderThanMs: undefined },
      timeoutMs: 120_000,
      removalConcurrency: undefined,
      lockWaitMs: 300_000,
    });
  });

  it('volume rules: durations, a boolean and a list of name patterns', () => {
    const s = parseSettings({ 'volumes-older-than': '2d', 'volumes-named': 'yes', 'protect-volume': 'cache-*, db', 'buildx-older-than': '36h' });
    assert.deepEqual(s.volumes, { olderThanMs: 2 * 86_400_000, named: true, protect: ['cache-*', 'db'], buildxOlderThanMs: 36 * 3_600_000 });
    for (const [name, value] of [['volumes-older-than', '-1h'], ['buildx-older-than', 'soon'], ['volumes-named', 'maybe'], ['protect-volume', 'a/b'], ['protect-volume', '-x']]) {
      assert.throws(() => parseSettings({ [name]: value }), (e: SettingsError) => e instanceof SettingsError && e.setting === name, `${name}=${value}`);
    }
  });

  it('max-docker-bytes: target defaults to 80%, build cache joins the eviction; target alone or above the maximum is refused', () => {
    const s = parseSettings({ 'max-docker-bytes': '100GB' });
    assert.equal(s.space.maxDockerBytes, 100e9);
    assert.equal(s.space.targetDockerBytes, 80e9);
    assert.equal(s.space.evictBuildCache, true);
    assert.equal(parseSettings({ 'evict-build-cache': 'true' }).space.evictBuildCache, true);
    assert.throws(() => parseSettings({ 'target-docker-bytes': '1GB' }), /target-docker-bytes "1GB": expected to be given together with max-docker-bytes/);
    assert.throws(() => parseSettings({ 'max-docker-bytes': '1GB', 'target-docker-bytes': '2GB' }), /a size no larger than max-docker-bytes/);
    assert.throws(() => parseSettings({ 'max-docker-bytes': 'lots' }), /Invalid max-docker-bytes "lots"/);
  });

  it('ensure-free: a size; build cache joins the eviction', () => {
    const s = parseSettings({ 'ensure-free': '20GB' });
    assert.equal(s.space.ensureFreeBytes, 20e9);
    assert.equal(s.space.evictBuildCache, true);
    assert.throws(() => parseSettings({ 'ensure-free': '10%' }), /Invalid ensure-free "10%"/);
  });

  it('undefined means the default; a value given but empty is bad input naming the setting', () => {
    assert.deepEqual(plain(parseSettings({ keep: undefined, 'min-age': undefined })), plain(parseSettings({})));
    for (const name of SETTING_NAMES) {
      for (const empty of ['', '  ', ' , \n']) {
        if (empty.includes(',') && !['current', 'protect', 'protect-label', 'repositories', 'dockerfiles', 'protect-volume'].includes(name)) continue;
        assert.throws(
          () => parseSettings({ [name]: empty }),
          (e: unknown) => e instanceof SettingsError && e.setting === name && /not an empty value \(leave the setting out for its default\)/.test(e.expected),
          `${name}: ${JSON.stringify(empty)}`,
        );
      }
    }
  });

  it('a full set of values', () => {
    const s = parseSettings({
      keep: '5',
      current: 'app:ci-42, web:ci-42',
      protect: ['node:*', 'mcr.microsoft.com/**', `sha256:${HEX64}`],
      'protect-label': 'keep\ncom.example.tier=base',
      repositories: 'app,team/*',
      dockerfiles: 'Dockerfile\n**/Dockerfile.*',
      'min-age': '90m',
      dangling: 'no',
      'max-removals': '100',
      'removal-concurrency': '12',
      'dry-run': true,
      order: 'tag',
      host: 'tcp://agent:2376',
      'max-image-bytes': '50GB',
      'min-free': '10%',
      'target-free': '20GB',
      'max-unused': '2w',
      'evict-kept-builds': 'true',
      'usage-store': 'engine',
      'build-cache-keep': '10GB',
      'build-cache-max-age': '3d',
      'containers-older-than': '12h',
      'networks-older-than': '1d',
    });
    assert.deepEqual(plain(s), {
      keep: 5,
      current: ['app:ci-42', 'web:ci-42'],
      protect: ['node:*', 'mcr.microsoft.com/**', `sha256:${HEX64}`],
      protectLabels: [
        { key: 'keep', text: 'keep' },
        { key: 'com.example.tier', value: 'base', text: 'com.example.tier=base' },
      ],
      repositories: ['app', 'team/*'],
      dockerfiles: ['Dockerfile', '**/Dockerfile.*'],
      minAgeMs: 90 * 60_000,
      dangling: false,
      maxRemovals: 100,
      dryRun: true,
      order: 'tag',
      host: 'tcp://agent:2376',
      space: {
        maxImageBytes: 50e9,
        targetImageBytes: 40e9,
        minFree: { percent: 10 },
        targetFree: { amount: 20e9 },
        minFreeInodes: undefined,
        targetFreeInodes: undefined,
        freePath: '/var/lib/docker',
        maxUnusedMs: 14 * 86_400_000,
        evictKeptBuilds: true,
        evictBaseImages: false,
        evictionOrder: 'cost',
        pullBytesPerSecond: 50e6,
        maxDockerBytes: undefined,
        targetDockerBytes: undefined,
        evictBuildCache: false,
        ensureFreeBytes: undefined,
      },
      usage: { store: 'engine', file: undefined, regretWindowMs: 7 * 86_400_000 },
      buildCache: { keepBytes: 10e9, maxAgeMs: 3 * 86_400_000 },
      containersOlderThanMs: 12 * 3_600_000,
      volumes: { olderThanMs: undefined, named: false, protect: [], buildxOlderThanMs: undefined },
      networksOlderThanMs: 86_400_000,
      timeoutMs: 120_000,
      removalConcurrency: 12,
      lockWaitMs: 300_000,
    });
    // The patterns are live, not just text.
    assert.equal(s.protect[0]!.matchesReference('docker.io/library/node:20'), true);
    assert.equal(s.protect[2]!.idPrefix, HEX64);
    assert.equal(s.repositories[1]!.matchesRepository('docker.io/team/web'), true);
    assert.equal(s.repositories[1]!.matchesRepository('docker.io/other/web'), false);
  });

  describe('space rules', () => {
    const good: [RawSettings, (s: ReturnType<typeof parseSettings>) => unknown, unknown][] = [
      [{ 'max-image-bytes': '1.5TiB' }, (s) => s.space.maxImageBytes, 1.5 * 2 ** 40],
      [{ 'max-image-bytes': '500MB' }, (s) => s.space.targetImageBytes, 400e6],
      [{ 'max-image-bytes': '60GB', 'target-image-bytes': '50GB' }, (s) => s.space.targetImageBytes, 50e9],
      [{ 'min-free': '10%' }, (s) => s.space.targetFree, { percent: 15 }],
      [{ 'min-free': '2GiB' }, (s) => s.space.targetFree, { amount: 3 * 2 ** 30 }],
      [{ 'min-free-inodes': '100000' }, (s) => s.space.minFreeInodes, { amount: 100000 }],
      [{ 'max-unused': '336h' }, (s) => s.space.maxUnusedMs, 336 * 3_600_000],
      [{ 'free-path': '/srv/docker' }, (s) => s.space.freePath, '/srv/docker'],
      [{ 'usage-store': 'none' }, (s) => s.usage.store, 'none'],
      [{ 'usage-file': '/var/cache/dic/usage.json' }, (s) => s.usage.file, '/var/cache/dic/usage.json'],
      [{}, (s) => s.space.pullBytesPerSecond, 50e6],
      [{ 'pull-bandwidth': '12.5MB/s' }, (s) => s.space.pullBytesPerSecond, 12.5e6],
      [{ 'pull-bandwidth': '1 GiB/s' }, (s) => s.space.pullBytesPerSecond, 2 ** 30],
      [{ 'pull-bandwidth': '100MB / S' }, (s) => s.space.pullBytesPerSecond, 100e6],
      [{}, (s) => s.removalConcurrency, undefined],
      [{ 'removal-concurrency': '16' }, (s) => s.removalConcurrency, 16],
      [{ 'removal-concurrency': '1' }, (s) => s.removalConcurrency, 1],
    ];
    for (const [i, [raw, pick, expected]] of good.entries()) {
      it(`${i + 1}. ${JSON.stringify(raw)}`, () => assert.deepEqual(pick(parseSettings(raw)), expected));
    }
    const bad: [RawSettings, RegExp][] = [
      [{ 'max-image-bytes': '10 parsecs' }, /Invalid max-image-bytes "10 parsecs": expected a size such as 500MB/],
      [{ 'max-image-bytes': '-5GB' }, /max-image-bytes/],
      [{ 'max-image-bytes': '10GB', 'target-image-bytes': '20GB' }, /target-image-bytes "20GB": expected a size no larger than max-image-bytes/],
      [{ 'target-image-bytes': '20GB' }, /together with max-image-bytes/],
      [{ 'min-free': '120%' }, /min-free "120%"/],
      [{ 'min-free': 'lots' }, /min-free "lots": expected a percentage/],
      [{ 'min-free-inodes': '1.5' }, /min-free-inodes/],
      [{ 'target-free': '10%' }, /together with min-free/],
      [{ 'max-unused': '2 fortnights' }, /max-unused/],
      [{ 'usage-store': 'cloud' }, /usage-store "cloud": expected file, engine or none/],
      [{ 'usage-file': 'relative/usage.json' }, /usage-file .*absolute path/],
      [{ 'evict-kept-builds': 'maybe' }, /evict-kept-builds/],
      [{ 'pull-bandwidth': '50MB' }, /Invalid pull-bandwidth "50MB": expected a rate above 0 such as 50MB\/s/],
      [{ 'pull-bandwidth': '0MB/s' }, /Invalid pull-bandwidth "0MB\/s": expected a rate above 0/],
      [{ 'pull-bandwidth': 'fast' }, /Invalid pull-bandwidth "fast"/],
      [{ 'pull-bandwidth': '50Mbit/s' }, /Invalid pull-bandwidth "50Mbit\/s"/],
      [{ 'pull-bandwidth': '-5MB/s' }, /Invalid pull-bandwidth "-5MB\/s"/],
      [{ 'removal-concurrency': '0' }, /Invalid removal-concurrency "0": expected a whole number from 1 to 64/],
      [{ 'removal-concurrency': '65' }, /Invalid removal-concurrency "65"/],
      [{ 'removal-concurrency': '-8' }, /Invalid removal-concurrency "-8"/],
      [{ 'removal-concurrency': 'fast' }, /Invalid removal-concurrency "fast"/],
    ];
    for (const [i, [raw, message]] of bad.entries()) {
      it(`${good.length + i + 1}. rejects ${JSON.stringify(raw)}`, () =>
        assert.throws(() => parseSettings(raw), (e: unknown) => e instanceof SettingsError && message.test(e.message)));
    }
  });

  describe('build cache and stopped containers', () => {
    const good: [RawSettings, (s: Settings) => unknown, unknown][] = [
      [{ 'build-cache-keep': '10GB' }, (s) => s.buildCache, { keepBytes: 10e9, maxAgeMs: undefined }],
      [{ 'build-cache-keep': '1.5GiB' }, (s) => s.buildCache.keepBytes, 1.5 * 2 ** 30],
      [{ 'build-cache-keep': '0' }, (s) => s.buildCache.keepBytes, 0],
      [{ 'build-cache-max-age': '2w' }, (s) => s.buildCache, { keepBytes: undefined, maxAgeMs: 14 * 86_400_000 }],
      [{ 'build-cache-max-age': '36h', 'build-cache-keep': '5GB' }, (s) => s.buildCache, { keepBytes: 5e9, maxAgeMs: 36 * 3_600_000 }],
      [{ 'containers-older-than': '1d' }, (s) => s.containersOlderThanMs, 86_400_000],
      [{ timeout: '30s' }, (s) => s.timeoutMs, 30_000],
      [{ 'lock-wait': '0' }, (s) => s.lockWaitMs, 0],
      [{ 'containers-older-than': '0' }, (s) => s.containersOlderThanMs, 0],
      [{}, (s) => s.containersOlderThanMs, undefined],
      [{ 'networks-older-than': '2d' }, (s) => s.networksOlderThanMs, 2 * 86_400_000],
      [{}, (s) => s.networksOlderThanMs, undefined],
    ];
    for (const [i, [raw, pick, expected]] of good.entries()) {
      it(`${i + 1}. ${JSON.stringify(raw)}`, () => assert.deepEqual(pick(parseSettings(raw)), expected));
    }
    const bad: { raw: RawSettings; setting: string; value: string; expected: RegExp }[] = [
      { raw: { 'build-cache-keep': 'lots' }, setting: 'build-cache-keep', value: 'lots', expected: /size such as 500MB/ },
      { raw: { 'build-cache-keep': '-1GB' }, setting: 'build-cache-keep', value: '-1GB', expected: /size/ },
      { raw: { 'build-cache-max-age': '3 days' }, setting: 'build-cache-max-age', value: '3 days', expected: /duration such as/ },
      { raw: { 'containers-older-than': '-1h' }, setting: 'containers-older-than', value: '-1h', expected: /duration/ },
      { raw: { 'containers-older-than': ['1h', '2h'] }, setting: 'containers-older-than', value: '1h,2h', expected: /single value/ },
      { raw: { 'networks-older-than': 'stale' }, setting: 'networks-older-than', value: 'stale', expected: /duration such as/ },
    ];
    for (const [i, c] of bad.entries()) it(`${good.length + i + 1}. rejects ${JSON.stringify(c.raw)}`, () => expectError(c.raw, c.setting, c.value, c.expected));
  });

  describe('lists', () => {
    const cases: { raw: RawSettings; dockerfiles: string[] }[] = [
      { raw: { dockerfiles: 'a, b ,,c' }, dockerfiles: ['a', 'b', 'c'] },
      { raw: { dockerfiles: 'a\r\nb\n\n c ' }, dockerfiles: ['a', 'b', 'c'] },
      { raw: { dockerfiles: ['a', ' b ', ''] }, dockerfiles: ['a', 'b'] },
      { raw: { dockerfiles: ['a,b', 'c'] }, dockerfiles: ['a', 'b', 'c'] },
      { raw: { dockerfiles: undefined }, dockerfiles: [] },
    ];
    for (const c of cases) it(JSON.stringify(c.raw.dockerfiles) ?? 'left out', () => assert.deepEqual(parseSettings(c.raw).dockerfiles, c.dockerfiles));
  });

  describe('valid scalars', () => {
    const cases: { raw: RawSettings; pick: (s: Settings) => unknown; value: unknown }[] = [
      { raw: { keep: 0 }, pick: (s) => s.keep, value: 0 },
      { raw: { keep: '0' }, pick: (s) => s.keep, value: 0 },
      { raw: { keep: ' 12 ' }, pick: (s) => s.keep, value: 12 },
      { raw: { keep: ['3'] }, pick: (s) => s.keep, value: 3 },
      { raw: { 'max-removals': 0 }, pick: (s) => s.maxRemovals, value: 0 },
      { raw: {}, pick: (s) => s.maxRemovals, value: undefined },
      { raw: { 'min-age': '0' }, pick: (s) => s.minAgeMs, value: 0 },
      { raw: { 'min-age': '2d' }, pick: (s) => s.minAgeMs, value: 2 * 86_400_000 },
      { raw: { 'min-age': '1w2d' }, pick: (s) => s.minAgeMs, value: 9 * 86_400_000 },
      ...(['true', 'TRUE', 'yes', 'Yes', '1'] as const).map((v) => ({ raw: { dangling: v, 'dry-run': v }, pick: (s: Settings) => [s.dangling, s.dryRun], value: [true, true] })),
      ...(['false', 'False', 'no', 'NO', '0'] as const).map((v) => ({ raw: { dangling: v, 'dry-run': v }, pick: (s: Settings) => [s.dangling, s.dryRun], value: [false, false] })),
      { raw: { dangling: false, 'dry-run': true }, pick: (s) => [s.dangling, s.dryRun], value: [false, true] },
      { raw: { dangling: 0, 'dry-run': 1 }, pick: (s) => [s.dangling, s.dryRun], value: [false, true] },
      { raw: { order: 'created' }, pick: (s) => s.order, value: 'created' },
      { raw: { order: 'Tag' }, pick: (s) => s.order, value: 'tag' },
      { raw: { host: 'unix:///var/run/docker.sock' }, pick: (s) => s.host, value: 'unix:///var/run/docker.sock' },
      { raw: { host: '/run/user/1000/docker.sock' }, pick: (s) => s.host, value: 'unix:///run/user/1000/docker.sock' },
      { raw: { host: 'tcp://10.0.0.5:2375' }, pick: (s) => s.host, value: 'tcp://10.0.0.5:2375' },
      { raw: { host: 'tcp://docker' }, pick: (s) => s.host, value: 'tcp://docker' },
      { raw: { host: 'npipe:////./pipe/docker_engine' }, pick: (s) => s.host, value: 'npipe:////./pipe/docker_engine' },
      { raw: { host: 'ssh://ci@build-host' }, pick: (s) => s.host, value: 'ssh://ci@build-host' },
      { raw: { host: 'ssh://ci@build-host:2222' }, pick: (s) => s.host, value: 'ssh://ci@build-host:2222' },
      { raw: { 'protect-label': 'tier=' }, pick: (s) => s.protectLabels, value: [{ key: 'tier', value: '', text: 'tier=' }] },
      { raw: { 'protect-label': 'a=b=c' }, pick: (s) => s.protectLabels, value: [{ key: 'a', value: 'b=c', text: 'a=b=c' }] },
      { raw: { current: '*:ci-9' }, pick: (s) => s.current[0]!.matchesReference('docker.io/library/app:ci-9'), value: true },
    ];
    for (const c of cases) it(JSON.stringify(c.raw), () => assert.deepEqual(c.pick(parseSettings(c.raw)), c.value));
  });

  describe('bad input is a SettingsError naming the setting and the value', () => {
    const cases: { raw: RawSettings; setting: string; value: string; expected?: RegExp }[] = [
      { raw: { keep: '-1' }, setting: 'keep', value: '-1', expected: /whole number/ },
      { raw: { keep: -1 }, setting: 'keep', value: '-1' },
      { raw: { keep: '1.5' }, setting: 'keep', value: '1.5' },
      { raw: { keep: 1.5 }, setting: 'keep', value: '1.5' },
      { raw: { keep: 'abc' }, setting: 'keep', value: 'abc' },
      { raw: { keep: '2x' }, setting: 'keep', value: '2x' },
      { raw: { keep: '+2' }, setting: 'keep', value: '+2' },
      { raw: { keep: true }, setting: 'keep', value: 'true' },
      { raw: { keep: ['1', '2'] }, setting: 'keep', value: '1,2', expected: /single value/ },
      { raw: { keep: '1e3' }, setting: 'keep', value: '1e3' },
      { raw: { 'max-removals': '-5' }, setting: 'max-removals', value: '-5' },
      { raw: { 'min-age': '99999999999999999999999w' }, setting: 'min-age', value: '99999999999999999999999w' },
      { raw: { 'max-image-bytes': '99999999999PB' }, setting: 'max-image-bytes', value: '99999999999PB' },
      { raw: { timeout: '0' }, setting: 'timeout', value: '0', expected: /1s to 1d/ },
      { raw: { timeout: '2d' }, setting: 'timeout', value: '2d' },
      { raw: { 'lock-wait': 'forever' }, setting: 'lock-wait', value: 'forever' },
      { raw: { 'max-removals': 'none' }, setting: 'max-removals', value: 'none' },
      { raw: { 'min-age': '10 parsecs' }, setting: 'min-age', value: '10 parsecs', expected: /duration such as/ },
      { raw: { 'min-age': '-1h' }, setting: 'min-age', value: '-1h' },
      { raw: { 'min-age': '10' }, setting: 'min-age', value: '10' },
      { raw: { 'min-age': 10 }, setting: 'min-age', value: '10' },
      { raw: { dangling: 'maybe' }, setting: 'dangling', value: 'maybe', expected: /true or false/ },
      { raw: { 'dry-run': 'y' }, setting: 'dry-run', value: 'y' },
      { raw: { 'dry-run': 2 }, setting: 'dry-run', value: '2' },
      { raw: { order: 'newest' }, setting: 'order', value: 'newest', expected: /created or tag/ },
      { raw: { 'protect-label': 'ok,=v' }, setting: 'protect-label', value: '=v', expected: /key/ },
      { raw: { 'protect-label': 'my key=v' }, setting: 'protect-label', value: 'my key=v' },
      { raw: { 'protect-label': 7 }, setting: 'protect-label', value: '7', expected: /list/ },
      { raw: { current: 'app:ci-1,App:ci-1' }, setting: 'current', value: 'App:ci-1', expected: /lowercase/ },
      { raw: { protect: ['node:*', 'a//b'] }, setting: 'protect', value: 'a//b', expected: /empty path component/ },
      { raw: { protect: 'team/***' }, setting: 'protect', value: 'team/***', expected: /\*\*\*/ },
      { raw: { protect: 'node@sha256:abc' }, setting: 'protect', value: 'node@sha256:abc', expected: /digest/ },
      { raw: { protect: 'a b' }, setting: 'protect', value: 'a b', expected: /whitespace/ },
      { raw: { repositories: 'app:1' }, setting: 'repositories', value: 'app:1', expected: /no tag or digest/ },
      { raw: { repositories: `sha256:${HEX64}` }, setting: 'repositories', value: `sha256:${HEX64}` },
      { raw: { repositories: 'team/Web' }, setting: 'repositories', value: 'team/Web', expected: /lowercase/ },
      { raw: { dockerfiles: true }, setting: 'dockerfiles', value: 'true' },
      { raw: { host: 'http://x:2375' }, setting: 'host', value: 'http://x:2375', expected: /unix:\/\/\// },
      { raw: { host: 'docker.sock' }, setting: 'host', value: 'docker.sock' },
      { raw: { host: 'unix://relative.sock' }, setting: 'host', value: 'unix://relative.sock' },
      { raw: { host: 'unix://' }, setting: 'host', value: 'unix://' },
      { raw: { host: 'tcp://' }, setting: 'host', value: 'tcp://' },
      { raw: { host: 'tcp://host:port' }, setting: 'host', value: 'tcp://host:port' },
      { raw: { host: 'tcp://host:2375/path' }, setting: 'host', value: 'tcp://host:2375/path' },
      { raw: { host: 'npipe://' }, setting: 'host', value: 'npipe://' },
    ];
    for (const c of cases) it(`${JSON.stringify(c.raw)}`, () => expectError(c.raw, c.setting, c.value, c.expected));
  });

  it('an unknown setting is a SettingsError listing the known ones', () => {
    assert.throws(
      () => parseSettings({ kepe: '3' }),
      (e: unknown) => {
        assert.ok(e instanceof SettingsError);
        assert.equal(e.setting, 'kepe');
        assert.equal(e.message, `Unknown setting "kepe"; known: ${SETTING_NAMES.join(', ')}.`);
        return true;
      },
    );
    assert.throws(() => parseSettings({ minAge: '1h' }), SettingsError);
  });

  it('SETTING_NAMES are the canonical kebab-case names', () => {
    assert.deepEqual([...SETTING_NAMES].sort(), [
      'current', 'dangling', 'dockerfiles', 'dry-run', 'evict-base-images', 'evict-kept-builds', 'eviction-order', 'free-path', 'host', 'keep', 'pull-bandwidth',
      'max-image-bytes', 'max-removals', 'max-unused', 'min-age', 'min-free', 'min-free-inodes', 'order', 'protect', 'protect-label',
      'regret-window', 'repositories', 'target-free', 'target-free-inodes', 'target-image-bytes', 'usage-file', 'usage-store',
      'build-cache-keep', 'build-cache-max-age', 'containers-older-than',
      'volumes-older-than', 'volumes-named', 'protect-volume', 'buildx-older-than', 'networks-older-than',
      'max-docker-bytes', 'target-docker-bytes', 'evict-build-cache', 'ensure-free', 'timeout', 'lock-wait', 'removal-concurrency',
    ].sort());
  });

  it('SettingsError is an Error with its parts', () => {
    const e = new SettingsError('keep', 'x', 'a whole number');
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'SettingsError');
    assert.equal(e.message, 'Invalid keep "x": expected a whole number.');
  });
});
