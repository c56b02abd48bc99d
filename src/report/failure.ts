/**
 * One line for a failure a user sees: what failed and what to do. Stack traces
 * and the engine's raw answer are for `--debug` only.
 */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return `failed: ${String(error)}`;
  const e = error as Error & { statusCode?: number; code?: string; json?: { message?: string } | null; reason?: string };
  const first = (text: string) => text.split('\n')[0]!.trim();
  if (typeof e.statusCode === 'number') {
    // dockerode: "(HTTP code 500) server error - <engine message>"
    const said = e.json?.message ?? first(e.message).replace(/^\(HTTP code \d+\)\s*/, '');
    const what = e.statusCode >= 500 ? 'the engine failed a request' : 'the engine refused a request';
    return `${what} (HTTP ${e.statusCode}: ${said}); nothing further was attempted. Check the engine (its log, disk space) and run again`;
  }
  switch (e.code) {
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNREFUSED':
    case 'ENOENT':
    case 'ECONNABORTED':
      return `lost the connection to the engine (${e.code}: ${first(e.message)}): it stopped or restarted during the run. Run again once it answers`;
    case 'EACCES':
    case 'EPERM':
      return `no permission (${first(e.message)}): run as a user that may use the Docker socket (root or the docker group)`;
    case 'ETIMEDOUT':
      return `the engine did not answer in time (${first(e.message)}): it may be overloaded. Run again later`;
  }
  return `${first(e.message) || e.name}; run with --debug for details`;
}
