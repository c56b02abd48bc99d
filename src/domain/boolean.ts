/** The words every front accepts for a yes/no value (the core's settings, the fronts' own inputs). */
export const BOOLEAN_FORM = 'true or false (also yes/no, 1/0)';

/** true/yes/1 or false/no/0, any case; undefined for anything else. */
export function parseBooleanText(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (word === 'true' || word === 'yes' || word === '1') return true;
  if (word === 'false' || word === 'no' || word === '0') return false;
  return undefined;
}
