/** A table column for fitColumns. */
export interface Column {
  header: string;
  /** Between a cell's items on one line (`, ` for references, `; ` for reasons). */
  separator: string;
  /** Shrinks (its cells wrap) when the table is wider than the screen; fixed columns keep their width. */
  flexible?: boolean;
  /** At most this many lines per cell; the last one then counts what is left out. */
  maxLines?: number;
  alignRight?: boolean;
}

const GAP = '  ';
/** The last flexible column (the reasons) keeps at least this much while the others take their longest item. */
const MIN_LAST = 24;
/** Narrower than this a flexible column is useless: the table overflows instead. */
const MIN_FLEXIBLE = 14;

/**
 * Column widths for rows (each cell a list of items) in `width` characters:
 * fixed columns take their natural width, flexible ones share the rest, so a
 * cell wraps inside its column instead of spilling into the next one.
 */
export function layoutColumns(columns: Column[], rows: string[][][], width: number): number[] {
  const natural = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => r[i]!.join(c.separator).length)));
  const longestItem = columns.map((c, i) => Math.max(c.header.length, ...rows.flatMap((r) => r[i]!.map((item) => item.length + c.separator.trimEnd().length))));
  const widths = natural.slice();
  const flexible = columns.map((c, i) => (c.flexible ? i : -1)).filter((i) => i >= 0);
  const fixedTotal = columns.reduce((sum, c, i) => sum + (c.flexible ? 0 : natural[i]!), 0) + GAP.length * (columns.length - 1);
  const free = width - fixedTotal;
  if (flexible.reduce((sum, i) => sum + natural[i]!, 0) <= free) return widths;
  // Each flexible column but the last gets room for its longest item (a whole
  // reference) while the last keeps a readable minimum; the last gets the rest.
  let room = free;
  flexible.forEach((i, n) => {
    const last = n === flexible.length - 1;
    widths[i] = last ? Math.max(MIN_FLEXIBLE, room) : Math.max(MIN_FLEXIBLE, Math.min(natural[i]!, longestItem[i]!, room - MIN_LAST));
    room -= widths[i]!;
  });
  return widths;
}

/** The header line, or one row's lines, laid out in `widths`. */
export function renderRows(columns: Column[], widths: number[], rows: string[][][]): string[] {
  const line = (cells: string[]) =>
    cells
      .map((v, i) => (columns[i]!.alignRight ? v.padStart(widths[i]!) : i === cells.length - 1 ? v : v.padEnd(widths[i]!)))
      .join(GAP)
      .trimEnd();
  const out = [line(columns.map((c) => c.header))];
  for (const row of rows) {
    const wrapped = row.map((items, i) => wrapItems(items, columns[i]!.separator, widths[i]!, columns[i]!.maxLines));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let l = 0; l < height; l++) out.push(line(wrapped.map((w) => w[l] ?? '')));
  }
  return out;
}

/** Items on lines of at most `width` characters; an item too long for a line is broken at spaces, then anywhere. */
export function wrapItems(items: string[], separator: string, width: number, maxLines = Infinity): string[] {
  const mark = separator.trimEnd();
  const lines: string[] = [];
  /** How many items are complete once each line is printed. */
  const doneAfter: number[] = [];
  let current = '';
  const flush = (done: number) => {
    lines.push(current);
    doneAfter.push(done);
    current = '';
  };
  items.forEach((item, index) => {
    const text = index < items.length - 1 ? item + mark : item;
    // An item that fits on a line of its own is not split across two.
    if (current !== '' && current.length + 1 + text.length > width && text.length <= width) flush(index);
    for (let word of text.split(' ')) {
      if (current !== '' && current.length + 1 + word.length > width) flush(index);
      while (word.length > width) {
        current = word.slice(0, width);
        flush(index);
        word = word.slice(width);
      }
      current = current === '' ? word : `${current} ${word}`;
    }
  });
  if (current !== '' || lines.length === 0) flush(items.length);
  if (lines.length <= maxLines) return lines;
  const shown = Math.max(1, maxLines - 1);
  return [...lines.slice(0, shown), `+${items.length - doneAfter[shown - 1]!} more`];
}
