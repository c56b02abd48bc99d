/**
 * A small evaluator of the Azure Pipelines expressions our decorator template uses, for
 * offline tests: no npm package evaluates them (azure-pipelines-language-service validates
 * YAML against a schema, it does not expand templates). It knows only what the template
 * needs and throws on anything else, so a new construct in the template fails the test
 * instead of being evaluated wrongly. Semantics from the expressions documentation: eq/ne
 * compare strings ignoring case, a missing variable is null (an empty string to compare),
 * '' and null are false, `containsValue` compares each item as eq does.
 */

export interface ExpressionContext {
  /** Pipeline variables (names match ignoring case). */
  variables: Record<string, string>;
  /** What a decorator sees of the job: its steps, tasks as `{ task: { id } }`. */
  job?: { steps: { task?: { id: string; name?: string } }[] };
  /** Run-time status functions; only always() is supported. */
  runtime?: boolean;
}

type Value = string | number | boolean | null | Value[] | { [key: string]: unknown };

type Node =
  | { kind: 'literal'; value: Value }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'path'; root: string; segments: (string | '*')[] };

/** Parses one expression (the text inside `${{ }}` or a `condition:`). */
export function parseExpression(text: string): Node {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const take = (expected?: string) => {
    const token = tokens[at++];
    if (token === undefined || (expected !== undefined && token !== expected)) throw new Error(`expression "${text}": expected ${expected ?? 'more'} at token ${at}, got ${token ?? 'the end'}`);
    return token;
  };
  const node = (): Node => {
    const token = take();
    if (token.startsWith("'")) return { kind: 'literal', value: token.slice(1, -1).replace(/''/g, "'") };
    if (/^\d+(\.\d+)?$/.test(token)) return { kind: 'literal', value: Number(token) };
    if (token === 'true' || token === 'false') return { kind: 'literal', value: token === 'true' };
    if (token === 'null') return { kind: 'literal', value: null };
    if (!/^[A-Za-z_][\w-]*$/.test(token)) throw new Error(`expression "${text}": unexpected ${token}`);
    if (peek() === '(') {
      take('(');
      const args: Node[] = [];
      while (peek() !== ')') {
        args.push(node());
        if (peek() === ',') take(',');
      }
      take(')');
      return { kind: 'call', name: token.toLowerCase(), args };
    }
    const segments: (string | '*')[] = [];
    for (;;) {
      if (peek() === '[') {
        take('[');
        const index = take();
        if (!index.startsWith("'")) throw new Error(`expression "${text}": only quoted indexes are supported`);
        segments.push(index.slice(1, -1));
        take(']');
      } else if (peek() === '.') {
        take('.');
        segments.push(take());
      } else break;
    }
    return { kind: 'path', root: token, segments };
  };
  const result = node();
  if (at !== tokens.length) throw new Error(`expression "${text}": unexpected ${tokens[at]}`);
  return result;
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s*('(?:[^']|'')*'|[A-Za-z_][\w-]*|\d+(?:\.\d+)?|\*|[(),.[\]])/y;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < text.length && (match = pattern.exec(text))) tokens.push(match[1]!);
  if (text.slice(pattern.lastIndex).trim() !== '') throw new Error(`expression "${text}": cannot read "${text.slice(pattern.lastIndex)}"`);
  return tokens;
}

export function evaluate(text: string, context: ExpressionContext): Value {
  return evalNode(parseExpression(text), context);
}

/** Truthiness as conditions see it. */
export function truthy(value: Value): boolean {
  if (value === null || value === false || value === '' || value === 0) return false;
  return true;
}

function asText(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'object') throw new Error('a collection cannot be compared as a string here');
  return String(value);
}

function equal(a: Value, b: Value): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'boolean' || typeof b === 'boolean') return truthy(a) === truthy(b);
  return asText(a).toLowerCase() === asText(b).toLowerCase();
}

function evalNode(node: Node, context: ExpressionContext): Value {
  if (node.kind === 'literal') return node.value;
  if (node.kind === 'path') return evalPath(node, context);
  const args = () => node.args.map((a) => evalNode(a, context));
  const arity = (n: number) => {
    if (node.args.length !== n) throw new Error(`${node.name}() takes ${n} argument(s), got ${node.args.length}`);
  };
  switch (node.name) {
    case 'and':
      return node.args.every((a) => truthy(evalNode(a, context)));
    case 'or':
      return node.args.some((a) => truthy(evalNode(a, context)));
    case 'not':
      arity(1);
      return !truthy(evalNode(node.args[0]!, context));
    case 'eq':
      arity(2);
      return equal(...(args() as [Value, Value]));
    case 'ne':
      arity(2);
      return !equal(...(args() as [Value, Value]));
    case 'containsvalue': {
      arity(2);
      const [collection, value] = args() as [Value, Value];
      if (!Array.isArray(collection)) throw new Error('containsValue() needs a collection');
      return collection.some((item) => equal(item, value));
    }
    case 'always':
      if (!context.runtime) throw new Error('always() is a run-time status function');
      arity(0);
      return true;
    default:
      throw new Error(`this evaluator does not know ${node.name}()`);
  }
}

function evalPath(node: Extract<Node, { kind: 'path' }>, context: ExpressionContext): Value {
  if (node.root === 'variables') {
    if (node.segments.length !== 1 || node.segments[0] === '*') throw new Error("variables takes one name: variables['name']");
    const wanted = node.segments[0]!.toLowerCase();
    const found = Object.entries(context.variables).find(([name]) => name.toLowerCase() === wanted);
    return found ? found[1] : null;
  }
  if (node.root !== 'job') throw new Error(`this evaluator does not know the context ${node.root}`);
  if (!context.job) throw new Error('job is a compile-time context of decorators');
  let values: unknown[] = [context.job];
  for (const segment of node.segments) {
    values = values.flatMap((v) => {
      if (segment === '*') return Array.isArray(v) ? v : Object.values(v as object);
      if (v === null || typeof v !== 'object') return [];
      const entry = Object.entries(v as object).find(([key]) => key.toLowerCase() === segment.toLowerCase());
      return entry === undefined || entry[1] === undefined ? [] : [entry[1]];
    });
  }
  const wildcard = node.segments.includes('*');
  return (wildcard ? values : (values[0] ?? null)) as Value;
}

const IF = /^\$\{\{\s*if\s+(.+?)\s*\}\}$/;

/**
 * Expands a parsed template's `${{ if }}` items (the one directive the decorator uses) against a
 * job; any other `${{ }}` is an error, as are expressions in values.
 */
export function expandTemplate(value: unknown, context: ExpressionContext): unknown {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (item && typeof item === 'object' && !Array.isArray(item)) {
        const keys = Object.keys(item);
        const directive = keys.find((k) => k.includes('${{'));
        if (directive !== undefined) {
          const match = IF.exec(directive);
          if (!match || keys.length !== 1) throw new Error(`unsupported template directive: ${directive}`);
          const body = (item as Record<string, unknown>)[directive];
          if (!Array.isArray(body)) throw new Error(`${directive} must hold a list of steps`);
          return truthy(evaluate(match[1]!, context)) ? (expandTemplate(body, context) as unknown[]) : [];
        }
      }
      return [expandTemplate(item, context)];
    });
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        if (k.includes('${{')) throw new Error(`unsupported template directive: ${k}`);
        return [k, expandTemplate(v, context)];
      }),
    );
  }
  if (typeof value === 'string' && value.includes('${{')) throw new Error(`unsupported template expression in a value: ${value}`);
  return value;
}
