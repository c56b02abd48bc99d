import { normalizeReference } from './reference';

/**
 * The external images a Dockerfile builds from: every `FROM` image and every
 * `COPY --from=` / `RUN --mount=…,from=` that names an image rather than a stage.
 * Those are the base images a CI agent needs for its next build's cache.
 */
export interface DockerfileImages {
  /** Normalized (`docker.io/library/node:20`), in order of appearance, without duplicates. */
  references: string[];
  /** Why an image could not be determined; the reference is left out. */
  warnings: string[];
}

interface Instruction {
  /** Upper case: `FROM`, `ARG`. */
  keyword: string;
  /** Everything after the keyword, continuations joined. */
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

/** ARG values in scope; undefined means declared without a default. */
type Args = Map<string, string | undefined>;

export function parseDockerfile(text: string): DockerfileImages {
  const warnings: string[] = [];
  const { instructions, escape } = splitInstructions(text, warnings);
  const references: string[] = [];
  const add = (reference: string) => {
    if (!references.includes(reference)) references.push(reference);
  };

  const allStageNames = new Set(instructions.filter((i) => i.keyword === 'FROM').map((i) => parseFrom(i.args, escape).stageName).filter((n): n is string => !!n));
  const stagesSoFar = new Set<string>();
  const globalArgs: Args = new Map();
  let stageArgs: Args | undefined; // undefined before the first FROM

  for (const instruction of instructions) {
    const where = `line ${instruction.line}`;
    // Resolves an image word; pushes a warning and returns undefined when it cannot.
    const resolve = (word: string, args: Args, what: string): string | undefined => {
      const expanded = expandWord(word, args, escape);
      if (!expanded.ok) {
        warnings.push(`${where}: ${what} "${word}": ${expanded.reason}; that image is not protected`);
        return undefined;
      }
      for (const name of expanded.undeclared) {
        warnings.push(`${where}: ${what} "${word}": $${name} is not declared as an ARG${args === globalArgs ? ' before the first FROM' : ''}, so it expands to ""`);
      }
      return expanded.value;
    };
    const addImage = (image: string, what: string) => {
      try {
        add(normalizeReference(image));
      } catch (error) {
        warnings.push(`${where}: ${what} "${image}" is not a valid image reference (${(error as Error).message}); it is not protected`);
      }
    };

    switch (instruction.keyword) {
      case 'ARG':
        declareArgs(instruction.args, stageArgs ?? globalArgs, stageArgs ? globalArgs : undefined, escape, (w) => warnings.push(`${where}: ${w}`));
        break;
      case 'FROM': {
        const from = parseFrom(instruction.args, escape);
        stageArgs = new Map();
        if (from.image === undefined) {
          warnings.push(`${where}: FROM without an image`);
        } else {
          // FROM sees only the ARGs declared before the first FROM.
          const image = resolve(from.image, globalArgs, 'FROM');
          if (image !== undefined && !stagesSoFar.has(image.toLowerCase()) && image.toLowerCase() !== 'scratch') {
            addImage(image, 'FROM');
          }
        }
        if (from.stageName) stagesSoFar.add(from.stageName);
        break;
      }
      case 'COPY':
      case 'RUN':
        for (const source of fromSources(instruction, escape)) {
          const value = resolve(source.word, stageArgs ?? globalArgs, source.what);
          if (value === undefined || /^\d+$/.test(value)) continue; // a stage index
          if (allStageNames.has(value.toLowerCase()) || value.toLowerCase() === 'scratch') continue;
          addImage(value, source.what);
        }
        break;
      default:
        break;
    }
  }
  return { references, warnings };
}

/** `FROM [--platform=…] image [AS name]`. */
function parseFrom(args: string, escape: string): { image?: string; stageName?: string } {
  const words = splitWords(args, escape).filter((w) => !w.startsWith('--'));
  const image = words[0];
  const stageName = words.length >= 3 && words[1]!.toLowerCase() === 'as' ? words[2]!.toLowerCase() : undefined;
  return { image, stageName };
}

/** The raw `--from=` of COPY and the `from=` of each RUN `--mount=`. */
function fromSources(instruction: Instruction, escape: string): { word: string; what: string }[] {
  const sources: { word: string; what: string }[] = [];
  for (const word of splitWords(instruction.args, escape)) {
    if (!word.startsWith('--')) break; // flags come first
    if (instruction.keyword === 'COPY' && word.toLowerCase().startsWith('--from=')) {
      sources.push({ word: word.slice('--from='.length), what: 'COPY --from' });
    }
    if (instruction.keyword === 'RUN' && word.toLowerCase().startsWith('--mount=')) {
      for (const field of word.slice('--mount='.length).split(',')) {
        const eq = field.indexOf('=');
        if (eq > 0 && field.slice(0, eq).trim().toLowerCase() === 'from') {
          sources.push({ word: unquote(field.slice(eq + 1).trim()), what: 'RUN --mount from' });
        }
      }
    }
  }
  return sources;
}

/**
 * `ARG A`, `ARG A=1 B="x y"`. Inside a stage an ARG without default takes the
 * global value of the same name, as the builder does.
 */
function declareArgs(args: string, scope: Args, globals: Args | undefined, escape: string, warn: (w: string) => void): void {
  for (const word of splitWords(args, escape)) {
    const eq = word.indexOf('=');
    const name = eq >= 0 ? word.slice(0, eq) : word;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      warn(`ARG "${word}" is not a valid declaration`);
      continue;
    }
    if (eq < 0) {
      scope.set(name, globals?.get(name));
      continue;
    }
    const expanded = expandWord(word.slice(eq + 1), scope, escape);
    // A default that depends on an unknown value is itself unknown.
    scope.set(name, expanded.ok ? expanded.value : undefined);
  }
}

type Expansion = { ok: true; value: string; undeclared: string[] } | { ok: false; reason: string };

class Unresolvable extends Error {}

/**
 * Shell-like word processing as the builder does it: quotes removed, the
 * escape character honoured, `$A`, `${A}`, `${A:-x}`, `${A-x}`, `${A:+x}`, `${A+x}` expanded.
 */
function expandWord(word: string, args: Args, escape: string): Expansion {
  const undeclared: string[] = [];
  try {
    const value = new WordExpander(word, args, escape, undeclared).run();
    return { ok: true, value, undeclared };
  } catch (error) {
    if (error instanceof Unresolvable) return { ok: false, reason: error.message };
    throw error;
  }
}

class WordExpander {
  private i = 0;
  constructor(
    private readonly word: string,
    private readonly args: Args,
    private readonly escape: string,
    private readonly undeclared: string[],
  ) {}

  run(): string {
    let out = '';
    while (this.i < this.word.length) {
      const c = this.word[this.i]!;
      if (c === this.escape && this.i + 1 < this.word.length) {
        out += this.word[this.i + 1];
        this.i += 2;
      } else if (c === "'") {
        const end = this.word.indexOf("'", this.i + 1);
        const stop = end < 0 ? this.word.length : end;
        out += this.word.slice(this.i + 1, stop);
        this.i = stop + 1;
      } else if (c === '"') {
        out += this.doubleQuoted();
      } else if (c === '$') {
        out += this.variable();
      } else {
        out += c;
        this.i++;
      }
    }
    return out;
  }

  private doubleQuoted(): string {
    let out = '';
    this.i++; // opening quote
    while (this.i < this.word.length && this.word[this.i] !== '"') {
      const c = this.word[this.i]!;
      const next = this.word[this.i + 1];
      if (c === this.escape && next !== undefined && (next === '"' || next === '$' || next === this.escape)) {
        out += next;
        this.i += 2;
      } else if (c === '$') {
        out += this.variable();
      } else {
        out += c;
        this.i++;
      }
    }
    this.i++; // closing quote
    return out;
  }

  /** At a `$`: returns its expansion and moves past it. */
  private variable(): string {
    const rest = this.word.slice(this.i + 1);
    const plain = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (plain) {
      this.i += 1 + plain[0].length;
      return this.lookup(plain[0]);
    }
    if (!rest.startsWith('{')) {
      this.i++;
      return '$';
    }
    const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)(:?[-+])?/.exec(rest);
    if (!braced) throw new Unresolvable(`unsupported variable expansion "\${${rest.slice(1)}"`);
    const name = braced[1]!;
    const modifier = braced[2];
    const wordStart = this.i + 1 + braced[0].length;
    const close = this.matchingBrace(wordStart);
    if (close < 0) throw new Unresolvable(`unterminated "\${${name}"`);
    if (modifier === undefined && close !== wordStart) {
      throw new Unresolvable(`unsupported variable expansion "${this.word.slice(this.i, close + 1)}"`);
    }
    const alternative = this.word.slice(wordStart, close);
    this.i = close + 1;
    if (modifier === undefined) return this.lookup(name);

    const value = this.args.get(name);
    const isSet = modifier.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
    const sub = () => new WordExpander(alternative, this.args, this.escape, this.undeclared).run();
    if (modifier.endsWith('-')) return isSet ? value! : sub();
    return isSet ? sub() : '';
  }

  private lookup(name: string): string {
    if (!this.args.has(name)) {
      // The builder expands an undeclared name to nothing.
      this.undeclared.push(name);
      return '';
    }
    const value = this.args.get(name);
    if (value === undefined) throw new Unresolvable(`ARG ${name} has no default value (it would come from --build-arg)`);
    return value;
  }

  /** Index of the `}` closing a `${`, allowing nested `${…}` in the alternative word. */
  private matchingBrace(from: number): number {
    let depth = 0;
    for (let j = from; j < this.word.length; j++) {
      const c = this.word[j];
      if (c === this.escape) j++;
      else if (c === '$' && this.word[j + 1] === '{') {
        depth++;
        j++;
      } else if (c === '}') {
        if (depth === 0) return j;
        depth--;
      }
    }
    return -1;
  }
}

/** Splits on whitespace outside quotes, keeping quotes and escapes for `expandWord`. */
function splitWords(text: string, escape: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === escape && i + 1 < text.length) {
      current += c + text[i + 1];
      inWord = true;
      i++;
    } else if (quote !== undefined) {
      current += c;
      if (c === quote) quote = undefined;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      if (c === '"' || c === "'") quote = c;
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

function unquote(text: string): string {
  return /^(["']).*\1$/.test(text) ? text.slice(1, -1) : text;
}

const HEREDOC_RE = /<<(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

/**
 * Logical instructions: parser directives read, comments and blank lines dropped,
 * continuations joined and heredoc bodies skipped (they are file content, not instructions).
 */
function splitInstructions(text: string, warnings: string[]): { instructions: Instruction[]; escape: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const escape = readEscapeDirective(lines, warnings);
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;

  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    const trimmed = line.trim();
    // Comments and blank lines, also inside a continuation, are not part of the instruction.
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    pending ??= { text: '', line: n + 1 };
    const cont = continuation.exec(line);
    if (cont) {
      pending.text += line.slice(0, cont.index);
      continue;
    }
    pending.text += line;
    const instruction = toInstruction(pending);
    pending = undefined;
    instructions.push(instruction);
    n = skipHeredocs(instruction, lines, n);
  }
  if (pending) instructions.push(toInstruction(pending));
  return { instructions, escape };
}

function toInstruction(pending: { text: string; line: number }): Instruction {
  const match = /^\s*(\S+)\s*([\s\S]*?)\s*$/.exec(pending.text)!;
  return { keyword: match[1]!.toUpperCase(), args: match[2]!, line: pending.line };
}

/** Returns the index of the last line of the instruction's heredoc bodies (or `n` when none). */
function skipHeredocs(instruction: Instruction, lines: string[], n: number): number {
  if (!['RUN', 'COPY', 'ADD'].includes(instruction.keyword) || instruction.args.trimStart().startsWith('[')) return n;
  for (const heredoc of instruction.args.matchAll(HEREDOC_RE)) {
    const stripTabs = heredoc[1] === '-';
    const terminator = heredoc[3]!;
    while (n + 1 < lines.length) {
      n++;
      const body = stripTabs ? lines[n]!.replace(/^\t+/, '') : lines[n]!;
      if (body === terminator) break;
    }
  }
  return n;
}

/** `# escape=`` ` ``: only in the directives at the very top of the file. */
function readEscapeDirective(lines: string[], warnings: string[]): string {
  let escape = '\\';
  for (const line of lines) {
    const directive = /^#\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!directive) break;
    if (directive[1]!.toLowerCase() !== 'escape') continue;
    if (directive[2] === '`' || directive[2] === '\\') escape = directive[2];
    else warnings.push(`invalid escape directive "${directive[2]}"; expected \\ or \``);
  }
  return escape;
}
