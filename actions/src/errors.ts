/** An input the Action reads itself (fail-on-error, run-at) or a core setting is invalid. Always fails the step. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * The cleanup (or recording the job start) did not complete: engine unreachable,
 * refused by max-removals, removals failed. A warning unless fail-on-error is true.
 */
export class CleanupFailedError extends Error {
  constructor(
    message: string,
    readonly failOnError: boolean,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'CleanupFailedError';
  }
}
