/**
 * Docker image references, normalized the way the engine and the docker CLI do
 * (distribution/reference `ParseNormalizedNamed`), so that `node`,
 * `library/node` and `docker.io/library/node:latest` compare equal.
 */

export interface ParsedReference {
  /** Registry host, with port if any: `docker.io`, `localhost:5000`, `ghcr.io`. */
  domain: string;
  /** Repository path inside the registry: `library/node`, `team/app`. */
  path: string;
  /** `domain/path`: `docker.io/library/node`. */
  repository: string;
  /** As written; undefined when the text had no tag. */
  tag?: string;
  /** `algorithm:hex`, as written; undefined when the text had no digest. */
  digest?: string;
  /** `repository[:tag][@digest]`, with tag `latest` when neither tag nor digest was written. */
  normalized: string;
  /** Shortest equivalent form: `node:20`, `team/app:1`, `ghcr.io/x/y:1`. */
  familiar: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of github.com/distribution/reference/regexp.go.
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]*)';
export const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
export const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';

const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const REMAINDER_RE = new RegExp(`^(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

/** Hex length of each digest algorithm the engine accepts (go-digest). */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/**
 * Parses and normalizes a reference.
 * @throws Error naming the text and what is wrong with it.
 */
export function parseReference(text: string): ParsedReference {
  const fail = (why: string): never => {
    throw new Error(`Invalid image reference "${text}": ${why}`);
  };
  if (text === '') fail('it is empty');
  if (/\s/.test(text)) fail('it contains whitespace');
  if (IDENTIFIER_RE.test(text)) fail('a 64-character hexadecimal string is an image ID, not a repository name');

  const { domain, remainder } = splitDockerDomain(text);
  if (!DOMAIN_RE.test(domain)) fail(`"${domain}" is not a valid registry host`);

  // Only the repository part must be lowercase; tags may have capitals.
  const colon = remainder.indexOf(':');
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) fail('repository name must be lowercase');

  const match = REMAINDER_RE.exec(remainder);
  if (!match) fail(explainRemainder(remainder));
  const [, path, tag, digest] = match as RegExpExecArray;
  const repository = `${domain}/${path}`;
  if (repository.length > NAME_TOTAL_LENGTH_MAX) fail(`repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  if (digest !== undefined) validateDigest(digest, fail);

  const suffix = (t: string | undefined) => (t !== undefined ? `:${t}` : '') + (digest !== undefined ? `@${digest}` : '');
  const normalizedTag = tag ?? (digest === undefined ? DEFAULT_TAG : undefined);
  return {
    domain,
    path,
    repository,
    tag,
    digest,
    normalized: repository + suffix(normalizedTag),
    familiar: familiarRepository(repository) + suffix(normalizedTag),
  };
}

/** `node` -> `docker.io/library/node:latest`. @throws Error on an invalid reference. */
export function normalizeReference(text: string): string {
  return parseReference(text).normalized;
}

/** `docker.io/library/node:20` -> `docker.io/library/node`; drops tag and digest. */
export function repositoryOf(normalizedRef: string): string {
  const withoutDigest = cutDigest(normalizedRef);
  const tagColon = tagColonIndex(withoutDigest);
  return tagColon >= 0 ? withoutDigest.slice(0, tagColon) : withoutDigest;
}

/** `docker.io/library/node:20` -> `20`; undefined for `repo@sha256:…`. */
export function tagOf(normalizedRef: string): string | undefined {
  const withoutDigest = cutDigest(normalizedRef);
  const tagColon = tagColonIndex(withoutDigest);
  return tagColon >= 0 ? withoutDigest.slice(tagColon + 1) : undefined;
}

/** `docker.io/library/node` -> `node`, `docker.io/team/app` -> `team/app`; others unchanged. */
export function familiarRepository(repository: string): string {
  const prefix = `${DEFAULT_DOMAIN}/`;
  if (!repository.startsWith(prefix)) return repository;
  const path = repository.slice(prefix.length);
  // Only one level below library/ is an official image (see distribution/reference).
  if (path.startsWith(OFFICIAL_REPO_PREFIX) && !path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return path;
}

/** The engine lists untagged images as `<none>:<none>` and `<none>@<none>`. */
export function isNoneReference(text: string): boolean {
  return text.includes('<none>');
}

/** True for valid path components such as `app`, `my-app`, `a__b`. */
export function isPathComponent(text: string): boolean {
  return PATH_COMPONENT_RE.test(text);
}

export function isValidTag(text: string): boolean {
  return TAG_RE.test(text);
}

/** A well-formed digest of a supported algorithm (`sha256:<64 lowercase hex>`). */
export function isValidDigest(text: string): boolean {
  if (!DIGEST_RE.test(text)) return false;
  try {
    validateDigest(text, (why) => {
      throw new Error(why);
    });
    return true;
  } catch {
    return false;
  }
}

/** The first component is a registry when it looks like a host (the docker CLI's rule). */
export function looksLikeDomain(component: string): boolean {
  return /[.:]/.test(component) || component === 'localhost' || component.toLowerCase() !== component;
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let remainder = name;
  if (slash >= 0 && looksLikeDomain(name.slice(0, slash))) {
    domain = name.slice(0, slash);
    remainder = name.slice(slash + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

function validateDigest(digest: string, fail: (why: string) => never): void {
  const [algorithm, hex] = digest.split(':', 2) as [string, string];
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) fail(`unsupported digest algorithm "${algorithm}"`);
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) fail(`a ${algorithm} digest is ${length} lowercase hexadecimal characters`);
}

/** Says which part of `path[:tag][@digest]` is malformed, for a useful message. */
function explainRemainder(remainder: string): string {
  const at = remainder.indexOf('@');
  const nameAndTag = at >= 0 ? remainder.slice(0, at) : remainder;
  if (at >= 0 && !DIGEST_RE.test(remainder.slice(at + 1))) return `"${remainder.slice(at + 1)}" is not a valid digest (expected sha256:<64 hex>)`;
  const colon = tagColonIndex(nameAndTag);
  const path = colon >= 0 ? nameAndTag.slice(0, colon) : nameAndTag;
  if (colon >= 0 && !TAG_RE.test(nameAndTag.slice(colon + 1))) {
    return `"${nameAndTag.slice(colon + 1)}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`;
  }
  const bad = path.split('/').find((c) => !PATH_COMPONENT_RE.test(c));
  if (bad === '') return 'repository name has an empty path component';
  if (bad !== undefined) return `"${bad}" is not a valid repository path component (lowercase letters, digits and single . _ or - separators)`;
  return 'invalid reference format';
}

function cutDigest(ref: string): string {
  const at = ref.indexOf('@');
  return at >= 0 ? ref.slice(0, at) : ref;
}

/** The tag's colon follows the last `/`; earlier colons belong to a registry port. */
function tagColonIndex(refWithoutDigest: string): number {
  const colon = refWithoutDigest.lastIndexOf(':');
  return colon > refWithoutDigest.lastIndexOf('/') ? colon : -1;
}
