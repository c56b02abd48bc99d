/** Durations and sizes as users write them and as the docker CLI prints them. */

const MS_PER: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // micro sign, as Go accepts
  'μs': 1e-3, // Greek mu, as Go accepts
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_FORM = 'a duration such as 45s, 90m, 1h30m, 36h, 2d or 1w2d (units ms, s, m, h, d, w; 0 alone for none)';
const DURATION_TERM_RE = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/y;

/**
 * Go-style duration (`1h30m`, `1.5h`, `500ms`) plus days and weeks (`2d`, `1w2d`), in milliseconds.
 * @throws Error naming the expected form.
 */
export function parseDuration(text: string): number {
  const fail = (): never => {
    throw new Error(`Invalid duration "${text}": expected ${DURATION_FORM}.`);
  };
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') fail();
  let total = 0;
  DURATION_TERM_RE.lastIndex = 0;
  while (DURATION_TERM_RE.lastIndex < s.length) {
    const start = DURATION_TERM_RE.lastIndex;
    const term = DURATION_TERM_RE.exec(s);
    if (!term || term.index !== start) fail();
    total += Number(term![1]) * MS_PER[term![2]!]!;
  }
  // Beyond a century a duration means nothing here, and `now - it` would leave the range of a Date (#12: 1e23 weeks reached the engine).
  if (!Number.isFinite(total) || total > MAX_DURATION_MS) {
    throw new Error(`Invalid duration "${text}": expected ${DURATION_FORM}, at most 100 years (about 5200w).`);
  }
  return total;
}

/** The longest duration accepted: 100 years of 365.25 days. */
export const MAX_DURATION_MS = 100 * 365.25 * 86_400_000;

const DECIMAL_PREFIXES = ['', 'k', 'm', 'g', 't', 'p'];
const SIZE_FORM = 'a size such as 512, 500MB, 2GB, 1.5GiB or 800KiB (kB/MB/GB/TB/PB are powers of 1000, KiB/MiB/GiB/TiB/PiB of 1024)';
const SIZE_RE = /^(\d+(?:\.\d+)?) ?([kmgtp]?)(i?)(b?)$/i;

/**
 * Bytes from a human size, as docker (go-units) reads them: `kB`, `MB` … are decimal,
 * `KiB`, `MiB` … binary; units are case-insensitive and the `B` optional.
 * @throws Error naming the expected form.
 */
export function parseSize(text: string): number {
  const fail = (): never => {
    throw new Error(`Invalid size "${text}": expected ${SIZE_FORM}.`);
  };
  const match = SIZE_RE.exec(text.trim());
  if (!match) return fail();
  const [, number, prefix, binary] = match as unknown as [string, string, string, string];
  const power = DECIMAL_PREFIXES.indexOf(prefix.toLowerCase());
  // `1iB` or a fractional byte count means nothing.
  if (binary !== '' && power === 0) fail();
  const value = Number(number);
  if (power === 0 && !Number.isInteger(value)) fail();
  const bytes = Math.round(value * (binary !== '' ? 1024 : 1000) ** power);
  if (!Number.isSafeInteger(bytes)) fail();
  return bytes;
}

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Like docker's HumanSize: decimal units, 4 significant digits (`1.98MB`, `512B`, `2.1GB`). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes}B`;
  let size = bytes;
  let unit = 0;
  while (Math.abs(size) >= 1000 && unit < SIZE_UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  // `%.4g` in Go: four significant digits, trailing zeros dropped.
  return `${Number(size.toPrecision(4))}${SIZE_UNITS[unit]}`;
}

const DURATION_UNITS: [string, number][] = [
  ['d', MS_PER.d!],
  ['h', MS_PER.h!],
  ['m', MS_PER.m!],
  ['s', MS_PER.s!],
];

/** Compact, two largest adjacent units, truncated: `3d4h`, `2h5m`, `45s`, `0s`; `500ms` below a second. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return ms < 1 ? '0s' : `${Math.floor(ms)}ms`;
  for (let i = 0; i < DURATION_UNITS.length; i++) {
    const [unit, size] = DURATION_UNITS[i]!;
    if (ms < size) continue;
    const whole = Math.floor(ms / size);
    const next = DURATION_UNITS[i + 1];
    const rest = next ? Math.floor((ms - whole * size) / next[1]) : 0;
    return `${whole}${unit}` + (next && rest > 0 ? `${rest}${next[0]}` : '');
  }
  return '0s';
}
