import assert from 'node:assert/strict';
import { formatBytes, formatDuration, parseDuration, parseSize } from '../../../src/domain/units';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const DAY = 24 * H;
const WEEK = 7 * DAY;

describe('units', () => {
  describe('parseDuration', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['0s', 0],
      ['45s', 45 * S],
      ['90m', 90 * M],
      ['36h', 36 * H],
      ['1h30m', 90 * M],
      ['1h30m15s', 90 * M + 15 * S],
      ['1.5h', 90 * M],
      ['.5h', 30 * M],
      ['500ms', 500],
      ['1500us', 1.5],
      ['2000000ns', 2],
      ['2d', 2 * DAY],
      ['2w', 2 * WEEK],
      ['1w2d', WEEK + 2 * DAY],
      ['1d12h', 36 * H],
      [' 2h ', 2 * H],
    ];
    for (const [text, ms] of cases) it(`${JSON.stringify(text)} -> ${ms}ms`, () => assert.equal(parseDuration(text), ms));

    const bad = ['', ' ', '-1h', '-0s', '+1h', '10', '1.5', '10 parsecs', 'abc', 'h', '1h 30m', '1x', '1H', '1hour', '1h-30m', '1..5h', '0x10s', 'Infinityh', '1e3s', '99999999999999999999999w', '5300w'];
    for (const text of bad) {
      it(`rejects ${JSON.stringify(text)}`, () => {
        assert.throws(() => parseDuration(text), (e: Error) => {
          assert.equal(e.message.startsWith(`Invalid duration "${text}": expected a duration such as`), true, e.message);
          assert.match(e.message, /90m/);
          return true;
        });
      });
    }
  });

  describe('parseSize', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['512', 512],
      ['512B', 512],
      ['512b', 512],
      ['1kB', 1000],
      ['1KB', 1000],
      ['1k', 1000],
      ['1K', 1000],
      ['500MB', 500e6],
      ['500M', 500e6],
      ['500mb', 500e6],
      ['2GB', 2e9],
      ['2g', 2e9],
      ['3TB', 3e12],
      ['1PB', 1e15],
      ['1KiB', 1024],
      ['800kib', 800 * 1024],
      ['1MiB', 1024 ** 2],
      ['1Mi', 1024 ** 2],
      ['1.5GiB', 1.5 * 1024 ** 3],
      ['2TiB', 2 * 1024 ** 4],
      ['1.5GB', 1.5e9],
      ['1.98MB', 1_980_000],
      ['10 GB', 10e9],
      [' 7kB ', 7000],
    ];
    for (const [text, bytes] of cases) it(`${JSON.stringify(text)} -> ${bytes}`, () => assert.equal(parseSize(text), bytes));

    const bad = ['', '-1', '-1GB', 'abc', 'GB', '1.5', '1.5B', '1iB', '1XB', '1GBB', '1 G B', '1.GB', '.5GB', '1,5GB', '1e3', '10  GB', '99999999999PB'];
    for (const text of bad) {
      it(`rejects ${JSON.stringify(text)}`, () => {
        assert.throws(() => parseSize(text), (e: Error) => {
          assert.equal(e.message.startsWith(`Invalid size "${text}": expected a size such as`), true, e.message);
          return true;
        });
      });
    }
  });

  describe('formatBytes (docker HumanSize)', () => {
    const cases: [number, string][] = [
      [0, '0B'],
      [512, '512B'],
      [999, '999B'],
      [1000, '1kB'],
      [1536, '1.536kB'],
      [1_980_000, '1.98MB'],
      [1_234_567, '1.235MB'],
      [2_100_000_000, '2.1GB'],
      [72_800_000, '72.8MB'],
      [999_999, '1000kB'],
      [5e12, '5TB'],
      [1.5e15, '1.5PB'],
    ];
    for (const [n, text] of cases) it(`${n} -> ${text}`, () => assert.equal(formatBytes(n), text));
  });

  describe('formatDuration', () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [0.4, '0s'],
      [500, '500ms'],
      [45 * S, '45s'],
      [45 * S + 999, '45s'],
      [90 * S, '1m30s'],
      [2 * H + 5 * M + 7 * S, '2h5m'],
      [2 * H, '2h'],
      [3 * DAY + 4 * H + 59 * M, '3d4h'],
      [3 * DAY + 5 * M, '3d'],
      [14 * DAY, '14d'],
      [-90 * M, '-1h30m'],
    ];
    for (const [ms, text] of cases) it(`${ms} -> ${text}`, () => assert.equal(formatDuration(ms), text));

    it('round-trips through parseDuration', () => {
      for (const text of ['3d4h', '2h5m', '45s', '1m30s', '14d']) assert.equal(formatDuration(parseDuration(text)), text);
    });
  });
});
