/** `name{a="b",c="d"}` (labels sorted) -> value, from a Prometheus text exposition (comments skipped). */
export function parseExposition(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(seriesKey(line.slice(0, at)), Number(line.slice(at + 1)));
  }
  return values;
}

/** A series name with its labels in one order, so `{b="1",a="2"}` and `{a="2",b="1"}` are one key. */
export function seriesKey(text: string): string {
  const brace = text.indexOf('{');
  if (brace < 0) return text;
  const labels = [...text.slice(brace).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => `${m[1]}="${m[2]}"`).sort();
  return `${text.slice(0, brace)}{${labels.join(',')}}`;
}

/** The key of `docker_image_cleanup_<name>` with these labels. */
export function metricKey(name: string, labels: Record<string, string> = {}): string {
  const text = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  return seriesKey(`docker_image_cleanup_${name}${text ? `{${text}}` : ''}`);
}
