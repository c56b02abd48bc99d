import * as fs from 'node:fs/promises';
import { glob } from 'tinyglobby';
import { parseDockerfile } from '../domain/dockerfile';
import type { DockerfileReference } from '../planner/planner';

/** Reads the Dockerfiles named by paths or globs and returns the images they build FROM. */
export async function dockerfileReferences(patterns: readonly string[], cwd = process.cwd()): Promise<{ references: DockerfileReference[]; warnings: string[] }> {
  const references: DockerfileReference[] = [];
  const warnings: string[] = [];
  for (const pattern of patterns) {
    const files = await glob(pattern, { cwd, absolute: true, dot: true, onlyFiles: true, expandDirectories: false });
    if (files.length === 0) {
      // A missing Dockerfile means its bases are unknown: say so loudly.
      warnings.push(`dockerfiles: "${pattern}" matched no file; its base images are not protected`);
      continue;
    }
    for (const file of files.sort()) {
      const parsed = parseDockerfile(await fs.readFile(file, 'utf8'));
      for (const reference of parsed.references) references.push({ reference, dockerfile: file });
      for (const w of parsed.warnings) warnings.push(`${file}: ${w}`);
    }
  }
  return { references, warnings };
}
