import {
  DEFAULT_DOMAIN,
  familiarRepository,
  isPathComponent,
  isValidDigest,
  isValidTag,
  looksLikeDomain,
  parseReference,
  type ParsedReference,
} from './reference';

/**
 * A user-written selector of images: `[repository][:tag][@digest]` with
 * wildcards, or an image ID. Used by `current`, `protect` and `repositories`.
 */
export interface ReferencePattern {
  /** As the user wrote it. */
  readonly text: string;
  /** When the text also reads as an image ID (`sha256:<64 hex>` or >= 12 hex chars): lowercase hex without `sha256:`. */
  readonly idPrefix?: string;
  /** Matches a normalized reference (`docker.io/library/node:20-alpine`, `host:5000/team/app@sha256:…`). */
  matchesReference(reference: string): boolean;
  /** Matches a normalized repository name (`docker.io/library/node`), for scope. */
  matchesRepository(repository: string): boolean;
}

/** What a pattern says besides its matchers, for callers that restrict the form. */
export interface PatternParts {
  /** Only the image ID form (`sha256:…`): matches no reference. */
  idOnly: boolean;
  hasTag: boolean;
  hasDigest: boolean;
}

const ID_WITH_ALGORITHM_RE = /^sha256:([a-f0-9]{12,64})$/;
const BARE_ID_RE = /^[a-f0-9]{12,64}$/;
const WILDCARD_RE = /[*?]/;

/**
 * Parses a pattern such as `node:*`, `mcr.microsoft.com/**`, `*:ci-42`,
 * `app@sha256:…` or an image ID.
 * @throws Error saying why the text is not a pattern.
 */
export function parsePattern(text: string): ReferencePattern {
  return parsePatternWithParts(text).pattern;
}

/**
 * A pattern for scope settings (`repositories`): a repository part only.
 * @throws Error when the text has a tag, a digest or is an image ID.
 */
export function parseRepositoryPattern(text: string): ReferencePattern {
  const { pattern, parts } = parsePatternWithParts(text);
  if (parts.idOnly) throw new Error(`Invalid repository pattern "${text}": an image ID names no repository`);
  if (parts.hasTag || parts.hasDigest) throw new Error(`Invalid repository pattern "${text}": a repository pattern has no tag or digest`);
  return pattern;
}

export function parsePatternWithParts(text: string): { pattern: ReferencePattern; parts: PatternParts } {
  const fail = (why: string): never => {
    throw new Error(`Invalid pattern "${text}": ${why}`);
  };
  if (text === '') fail('it is empty');
  if (/\s/.test(text)) fail('it contains whitespace');

  const withAlgorithm = ID_WITH_ALGORITHM_RE.exec(text);
  if (withAlgorithm) {
    // `sha256:<hex>` would otherwise read as repository `sha256` with a tag: nobody means that.
    const idPrefix = withAlgorithm[1]!;
    const never = () => false;
    return { pattern: { text, idPrefix, matchesReference: never, matchesRepository: never }, parts: { idOnly: true, hasTag: false, hasDigest: false } };
  }
  if (/^sha256:/i.test(text)) fail('an image ID is sha256: followed by 12 to 64 lowercase hexadecimal characters');
  const idPrefix = BARE_ID_RE.test(text) ? text : undefined;
  if (idPrefix !== undefined && idPrefix.length === 64) {
    // The engine refuses 64-hex repository names, so this is an ID only.
    const never = () => false;
    return { pattern: { text, idPrefix, matchesReference: never, matchesRepository: never }, parts: { idOnly: true, hasTag: false, hasDigest: false } };
  }

  const { repoPart, tagPart, digestPart } = splitPattern(text, fail);
  if (repoPart === '' && tagPart === undefined && digestPart === undefined) fail('it has no repository');
  if (tagPart !== undefined) validateTagPattern(tagPart, fail);
  if (digestPart !== undefined && !isValidDigest(digestPart)) fail(`"${digestPart}" is not a valid digest (expected sha256:<64 lowercase hex>)`);

  const repositoryMatcher = repoPart === '' ? () => true : compileRepositoryPattern(repoPart, fail);
  const tagMatcher = tagPart === undefined ? undefined : compileTagPattern(tagPart);

  const matchesReference = (reference: string): boolean => {
    const ref = splitNormalized(reference) ?? tryParse(reference);
    if (!ref || !repositoryMatcher(ref.repository)) return false;
    if (digestPart !== undefined && ref.digest !== digestPart) return false;
    // Without a tag part any tag and any digest reference matches.
    if (tagMatcher !== undefined) return ref.tag !== undefined && tagMatcher(ref.tag);
    return true;
  };
  const matchesRepository = (repository: string): boolean => repositoryMatcher(repository);

  return {
    pattern: { text, idPrefix, matchesReference, matchesRepository },
    parts: { idOnly: false, hasTag: tagPart !== undefined, hasDigest: digestPart !== undefined },
  };
}

function splitPattern(text: string, fail: (why: string) => never): { repoPart: string; tagPart?: string; digestPart?: string } {
  const pieces = text.split('@');
  if (pieces.length > 2) fail('it has more than one "@"');
  const [nameAndTag, digestPart] = pieces as [string, string | undefined];
  if (digestPart === '') fail('the digest after "@" is empty');
  // The tag's colon follows the last `/`; an earlier colon is a registry port.
  const colon = nameAndTag.lastIndexOf(':');
  if (colon < 0 || colon < nameAndTag.lastIndexOf('/')) return { repoPart: nameAndTag, digestPart };
  const tagPart = nameAndTag.slice(colon + 1);
  if (tagPart === '') fail('the tag after ":" is empty');
  return { repoPart: nameAndTag.slice(0, colon), tagPart, digestPart };
}

function validateTagPattern(tagPart: string, fail: (why: string) => never): void {
  if (tagPart.includes('**')) fail('"**" is for repositories; in a tag "*" already matches anything');
  // Check the literal skeleton: wildcards stand for at least one word character.
  const skeleton = tagPart.replace(/[*?]/g, 'x');
  if (!isValidTag(skeleton)) fail(`"${tagPart}" is not a valid tag pattern (letters, digits, _ . -, * and ?; at most 128 characters)`);
}

/** Returns a matcher of normalized repository names. */
function compileRepositoryPattern(repoPart: string, fail: (why: string) => never): (repository: string) => boolean {
  if (!WILDCARD_RE.test(repoPart)) {
    // No wildcard: normalize like a reference, so `node` = `library/node` = `docker.io/library/node`.
    let repository = '';
    try {
      repository = parseReference(repoPart).repository;
    } catch (error) {
      fail((error as Error).message.replace(/^Invalid image reference "[^"]*": /, ''));
    }
    return (candidate) => candidate === repository;
  }
  validateWildcardRepository(repoPart, fail);
  const regex = globToRegExp(normalizeWildcardRepository(repoPart));
  // Tried against every way the same repository can be written.
  return (candidate) => repositoryForms(candidate).some((form) => regex.test(form));
}

function validateWildcardRepository(repoPart: string, fail: (why: string) => never): void {
  if (/\*{3,}/.test(repoPart)) fail('"***" is not a wildcard; use "*" within a path component or "**" across them');
  const components = repoPart.split('/');
  if (components.some((c) => c === '')) fail('it has an empty path component');
  const hasDomain = components.length > 1 && looksLikeDomain(components[0]!);
  components.forEach((component, index) => {
    // Wildcards stand for some valid characters, so check the skeleton with them replaced.
    const skeleton = component.replace(/\*+|\?/g, '0');
    if (index === 0 && hasDomain) {
      if (!/^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/.test(skeleton)) {
        fail(`"${component}" is not a valid registry host pattern`);
      }
      return;
    }
    if (component.toLowerCase() !== component) fail('repository name must be lowercase');
    if (!isPathComponent(skeleton)) fail(`"${component}" is not a valid repository path component pattern (lowercase letters, digits, . _ -, * and ?)`);
  });
}

/** `index.docker.io/…` -> `docker.io/…`; `docker.io/x*` -> `docker.io/library/x*`, as for references. */
function normalizeWildcardRepository(repoPart: string): string {
  const slash = repoPart.indexOf('/');
  if (slash < 0) return repoPart;
  let domain = repoPart.slice(0, slash);
  let rest = repoPart.slice(slash + 1);
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !rest.includes('/') && !rest.includes('**')) rest = `library/${rest}`;
  return `${domain}/${rest}`;
}

/** `docker.io/library/node` -> [`docker.io/library/node`, `library/node`, `node`]. */
function repositoryForms(repository: string): string[] {
  const forms = [repository, familiarRepository(repository)];
  const prefix = `${DEFAULT_DOMAIN}/`;
  if (repository.startsWith(prefix)) forms.push(repository.slice(prefix.length));
  return forms;
}

function compileTagPattern(tagPart: string): (tag: string) => boolean {
  if (!WILDCARD_RE.test(tagPart)) return (tag) => tag === tagPart;
  const regex = globToRegExp(tagPart);
  return (tag) => regex.test(tag);
}

/** `**` crosses `/`, `*` stays within a component, `?` is one non-`/` character. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

function tryParse(reference: string): ParsedReference | undefined {
  try {
    return parseReference(reference);
  } catch {
    return undefined;
  }
}

/**
 * The planner hands over normalized references (`domain/path[:tag][@digest]`):
 * cut them without the full grammar. Anything else goes through the parser.
 */
function splitNormalized(reference: string): { repository: string; tag?: string; digest?: string } | undefined {
  const slash = reference.indexOf('/');
  if (slash <= 0) return undefined;
  const domain = reference.slice(0, slash);
  if (!domain.includes('.') && !domain.includes(':') && domain !== 'localhost') return undefined;
  if (domain === 'docker.io' && !reference.includes('/', slash + 1)) return undefined;
  const at = reference.indexOf('@');
  const name = at >= 0 ? reference.slice(0, at) : reference;
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  return {
    repository: hasTag ? name.slice(0, colon) : name,
    tag: hasTag ? name.slice(colon + 1) : undefined,
    digest: at >= 0 ? reference.slice(at + 1) : undefined,
  };
}
