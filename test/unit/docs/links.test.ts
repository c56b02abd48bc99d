import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { anchorsOf, brokenLinks, docPages, githubSlug } from '../../support/markdown';

describe('docs: relative links and anchors', () => {
  // Anchors as GitHub renders them for headings of this project's pages.
  const slugs: [string, string][] = [
    ['Finding the engine (as the docker CLI does)', 'finding-the-engine-as-the-docker-cli-does'],
    ['Azure Pipelines: `DockerImageCleanup@1`', 'azure-pipelines-dockerimagecleanup1'],
    ["The cleaner's image", 'the-cleaners-image'],
    ['Volumes and buildx builder leftovers (opt-in)', 'volumes-and-buildx-builder-leftovers-opt-in'],
    ['Example: agent in a container (Docker-outside-of-Docker)', 'example-agent-in-a-container-docker-outside-of-docker'],
    ['`buildx_buildkit_*` leftovers', 'buildx_buildkit_-leftovers'],
    ['Größe × Zeit', 'größe--zeit'],
  ];
  for (const [i, [heading, slug]] of slugs.entries()) {
    it(`1.${i + 1}. "${heading}" is #${slug}`, () => assert.equal(githubSlug(heading), slug));
  }

  it('2. repeated headings get -1, -2; headings in code blocks and links in headings count as GitHub counts them', () => {
    const anchors = anchorsOf(['# Inputs', '## Inputs', '```yaml', '# not a heading', '```', '## [The CLI](cli.md) flags', '<a id="custom"></a>'].join('\n'));
    assert.deepEqual([...anchors].sort(), ['custom', 'inputs', 'inputs-1', 'the-cli-flags']);
  });

  it('3. the checker finds a missing file, a missing anchor and an anchor into a non-markdown file, and ignores code and URLs', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dic-links-'));
    try {
      fs.mkdirSync(path.join(root, 'docs'));
      fs.writeFileSync(path.join(root, 'LICENSE'), 'MIT\n');
      fs.writeFileSync(path.join(root, 'docs', 'a.md'), '# A\n\n## Real part\n');
      fs.writeFileSync(
        path.join(root, 'README.md'),
        [
          '# Front',
          '[ok](docs/a.md#real-part) [ok too](#front) [licence](LICENSE) [web](https://example.com/x#y)',
          '[gone](docs/b.md) [no anchor](docs/a.md#unreal-part) [into a file](LICENSE#top) `[in code](nowhere.md)`',
          '```',
          '[in a block](nowhere.md)',
          '```',
          '[ref]: docs/missing.md',
        ].join('\n'),
      );
      assert.deepEqual(brokenLinks(docPages(root), root), [
        'README.md:3: docs/b.md (no file docs/b.md)',
        'README.md:3: docs/a.md#unreal-part (docs/a.md has no heading #unreal-part)',
        'README.md:3: LICENSE#top (an anchor into LICENSE, which has no headings)',
        'README.md:7: docs/missing.md (no file docs/missing.md)',
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('4. every relative link and anchor in README.md and docs/*.md resolves', () => {
    const pages = docPages();
    assert.ok(pages.includes('docs/cli.md') && pages.includes('docs/architecture.md'), pages.join(', '));
    assert.deepEqual(brokenLinks(pages), []);
  });
});
