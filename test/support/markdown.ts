import * as fs from 'node:fs';
import * as path from 'node:path';

// The project's documentation: README.md (the front page) and the topic pages under docs/.

export const ROOT = path.resolve(__dirname, '..', '..', '..');

/** README.md and every docs/*.md, as paths relative to the repository root. */
export function docPages(root = ROOT): string[] {
  const docs = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

/** The lines of a page outside fenced code blocks (``` or ~~~), with their line numbers. */
function proseLines(markdown: string): { line: string; number: number }[] {
  const lines: { line: string; number: number }[] = [];
  let fence: string | undefined;
  for (const [i, line] of markdown.split('\n').entries()) {
    const opening = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && opening) fence = opening[0]!.repeat(opening.length);
    else if (fence !== undefined && line.trim().startsWith(fence)) fence = undefined;
    else if (fence === undefined) lines.push({ line, number: i + 1 });
  }
  return lines;
}

/**
 * GitHub's anchor for a heading: lower case, every character but letters, marks, digits,
 * connectors (`_`), spaces and hyphens dropped, each space a hyphen (what github-slugger does).
 */
export function githubSlug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors a page has: one per heading (repeats get -1, -2, … as on GitHub), plus HTML ids and names. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line } of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      // GitHub slugs the rendered text: a link in a heading counts by its text.
      const base = githubSlug(heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1'));
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

/** Links to files of the repository (no scheme), inline or reference definitions, outside code. */
export function relativeLinks(markdown: string): { target: string; line: number }[] {
  const links: { target: string; line: number }[] = [];
  for (const { line, number } of proseLines(markdown)) {
    const prose = line.replace(/(`+)[\s\S]*?\1/g, '');
    const targets = [
      ...[...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
      ...[...prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((m) => m[1]!),
    ];
    for (const target of targets) if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ target, line: number });
  }
  return links;
}

/** Every relative link of these pages that points at no file, or at a heading its page does not have. */
export function brokenLinks(pages: string[], root = ROOT): string[] {
  const broken: string[] = [];
  for (const page of pages) {
    const markdown = fs.readFileSync(path.join(root, page), 'utf8');
    for (const { target, line } of relativeLinks(markdown)) {
      const [file, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved = file ? path.normalize(path.join(path.dirname(page), decodeURIComponent(file))) : page;
      const where = `${page}:${line}: ${target}`;
      if (resolved.startsWith('..') || !fs.existsSync(path.join(root, resolved))) {
        broken.push(`${where} (no file ${resolved})`);
      } else if (anchor !== undefined) {
        if (!resolved.endsWith('.md')) broken.push(`${where} (an anchor into ${resolved}, which has no headings)`);
        else if (!anchorsOf(fs.readFileSync(path.join(root, resolved), 'utf8')).has(decodeURIComponent(anchor))) {
          broken.push(`${where} (${resolved} has no heading #${anchor})`);
        }
      }
    }
  }
  return broken;
}
