/** A `key` or `key=value` label selector (`protect-label`). */
export interface LabelSelector {
  key: string;
  /** undefined: the key alone is enough. */
  value?: string;
  /** As the user wrote it, for reports. */
  text: string;
}

/** The rule that protects images, containers and volumes by label: `key` alone, or `key=value`. */
export function protectedBy(labels: Record<string, string>, selectors: readonly LabelSelector[]): boolean {
  return selectors.some((s) => Object.prototype.hasOwnProperty.call(labels, s.key) && (s.value === undefined || labels[s.key] === s.value));
}
