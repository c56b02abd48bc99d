/** Where the CLI writes: the process's streams, or a test's buffers. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** A terminal redraws a progress line; without one (CI logs) progress is printed as lines now and then. */
  isTty: boolean;
  /** Columns the report fits into; undefined: what CI logs show comfortably (120). */
  width?: number;
  /** For progress timing; default Date.now. */
  now?: () => number;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTty: process.stderr.isTTY === true,
  width: process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS) || undefined,
};
