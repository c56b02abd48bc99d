/**
 * Reads a stream of newline-delimited JSON (the Engine API's GET /events) as it arrives:
 * each whole line parsed once, a line split across chunks joined first. A line that is not
 * JSON goes to `onBadLine` (the caller decides what an incomplete read means).
 */
export function onJsonLines(stream: NodeJS.ReadableStream, onValue: (value: any) => void, onBadLine: (line: string) => void = () => undefined): void {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        onBadLine(line);
        continue;
      }
      onValue(value);
    }
  });
}
