/** Where progress goes, and whether it is a terminal that can redraw a line. */
export interface ProgressOutput {
  write: (text: string) => void;
  isTty: boolean;
  now: () => number;
}

/** Without a terminal: at most one line per 10% step, or one every 5 s when steps are slow. */
const STEP_SHARE = 0.1;
const HEARTBEAT_MS = 5000;
/** Fewer removals than this finish quickly: no step lines, only the 5 s heartbeat if it ever comes. */
const LONG_RUN = 20;

/**
 * Removal progress: a line redrawn in place on a terminal; in CI logs (no
 * terminal) a line per 10% (on runs of 20 removals or more) or every 5 s,
 * whichever comes first, and the total time once a line was printed.
 */
export function progressReporter(out: ProgressOutput): (done: number, total: number) => void {
  const startedAt = out.now();
  let lastAt = startedAt;
  let lastStep = 0;
  let printed = false;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  return (done, total) => {
    if (out.isTty) {
      out.write(`\rremoving ${done}/${total}${done === total ? '\n' : ''}`);
      return;
    }
    const now = out.now();
    const step = Math.floor(done / Math.max(1, total) / STEP_SHARE);
    if (done === total) {
      if (printed) out.write(`removed ${done}/${total} in ${seconds(now - startedAt)}\n`);
      return;
    }
    if ((total >= LONG_RUN && step > lastStep) || now - lastAt >= HEARTBEAT_MS) {
      out.write(`removing ${done}/${total} (${Math.floor((done / total) * 100)}%), ${seconds(now - startedAt)}\n`);
      printed = true;
      lastAt = now;
      lastStep = step;
    }
  };
}
