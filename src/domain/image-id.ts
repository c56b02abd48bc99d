// Image IDs as engines hand them over: `sha256:<64 hex>`, or the bare hex (Podman in places,
// the `Deleted` answers of some engines), or a short prefix a user typed. One place knows the forms.

const PREFIX = 'sha256:';
const FULL_HEX = /^[0-9a-f]{64}$/;

/** The hex part of an ID, with or without its `sha256:` prefix. */
export function idHex(id: string): string {
  return id.startsWith(PREFIX) ? id.slice(PREFIX.length) : id;
}

/**
 * `sha256:<hex>` for an ID in either form (a prefixed one as it is, on the hot path of large
 * snapshots); undefined for anything else (a reference, a short ID).
 */
export function fullImageId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  if (id.startsWith(PREFIX)) return id;
  return FULL_HEX.test(id) ? `${PREFIX}${id}` : undefined;
}

/** `sha256:` + the hex of any ID the engine answers (a `Deleted` entry comes with or without the prefix). */
export function prefixedImageId(id: string): string {
  return `${PREFIX}${idHex(id)}`;
}

/** A full ID in the engine's canonical form, `sha256:<64 hex>`. */
export function isCanonicalImageId(id: string): boolean {
  return id.startsWith(PREFIX) && FULL_HEX.test(id.slice(PREFIX.length));
}

/** The same image, whichever form each side uses. */
export function sameImageId(a: string, b: string): boolean {
  return idHex(a) === idHex(b);
}

/** An ID starts with a typed hex prefix (12 to 64 characters, no `sha256:`). */
export function idHasPrefix(id: string, hexPrefix: string): boolean {
  return idHex(id).startsWith(hexPrefix);
}

/** Short ID as `docker images` shows it. */
export function shortImageId(id: string): string {
  return idHex(id).slice(0, 12);
}
