import type { BuildCacheReport } from '../app/build-cache';

/** "; kept: 1 in use by a running build, 2 used within min-age" (empty when nothing was left alone). */
export function cacheKept(b: BuildCacheReport): string {
  if (!b.kept) return '';
  const parts = [
    b.kept.inUse && `${b.kept.inUse} in use by a running build`,
    b.kept.young && `${b.kept.young} used within min-age`,
    b.kept.shared && `${b.kept.shared} shared with images`,
  ].filter(Boolean);
  return parts.length ? `; kept: ${parts.join(', ')}` : '';
}
