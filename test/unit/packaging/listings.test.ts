// What the GitHub Marketplace, the Visual Studio Marketplace and the npm registry read from this
// repository's metadata files, checked against the limits and fields those listings need.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

const ROOT = path.resolve(__dirname, '../../../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const PACKAGE = JSON.parse(read('package.json'));
const EXTENSION = JSON.parse(read('vss-extension.json'));
const TASK = JSON.parse(read('tasks/DockerImageCleanupV1/task.json'));
const ACTION = yaml.load(read('action.yml')) as {
  name: string;
  description: string;
  branding: { icon: string; color: string };
  runs: { using: string };
};
/** The repository's web address as package.json names it (git+https://…/x.git -> https://…/x). */
const REPOSITORY = String(PACKAGE.repository?.url ?? '').replace(/^git\+/, '').replace(/\.git$/, '');

describe('Marketplace and registry listings', () => {
  describe('action.yml (GitHub Marketplace)', () => {
    it('1. the description is at most 125 characters, the most the Marketplace accepts', () => {
      assert.ok(ACTION.description.trim().length > 0);
      assert.ok(ACTION.description.length <= 125, `description is ${ACTION.description.length} characters`);
    });
    it('2. name, branding from the allowed colours, and the node24 runtime', () => {
      assert.equal(ACTION.name, 'docker-image-cleanup');
      assert.ok(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'].includes(ACTION.branding.color));
      assert.match(ACTION.branding.icon, /^[a-z0-9-]+$/);
      assert.equal(ACTION.runs.using, 'node24');
    });
  });

  describe('vss-extension.json (Visual Studio Marketplace)', () => {
    it('3. one version for the npm package, the extension, the task (Major.Minor.Patch) and the DaemonSet image', () => {
      const v = TASK.version;
      assert.equal(EXTENSION.version, PACKAGE.version);
      assert.equal(`${v.Major}.${v.Minor}.${v.Patch}`, PACKAGE.version);
      assert.ok(read('deploy/kubernetes/daemonset.yaml').includes(`/docker-image-cleanup:${PACKAGE.version}\n`), 'the DaemonSet runs this version');
    });
    it('4. the task version was raised past 1.0.0 (inputs were added after it)', () => {
      const v = TASK.version;
      assert.ok(v.Major > 1 || v.Minor > 0 || v.Patch > 0, JSON.stringify(v));
    });
    it('5. licence, overview and icon files exist; the licence is the one package.json names', () => {
      for (const file of [EXTENSION.content.license.path, EXTENSION.content.details.path, EXTENSION.icons.default]) {
        assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} exists`);
      }
      assert.equal(PACKAGE.license, 'MIT');
      assert.match(read(EXTENSION.content.license.path), /^MIT License\n/);
    });
    it('6. links, repository and branding point at the repository package.json names', () => {
      assert.match(REPOSITORY, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
      assert.deepEqual(EXTENSION.repository, { type: 'git', uri: REPOSITORY });
      for (const link of ['home', 'getstarted', 'support', 'repository', 'license']) {
        assert.ok(String(EXTENSION.links[link]?.uri).startsWith(REPOSITORY), `links.${link} is under ${REPOSITORY}`);
      }
      assert.match(EXTENSION.branding.color, /^#[0-9a-f]{6}$/i);
      assert.ok(['dark', 'light'].includes(EXTENSION.branding.theme));
    });
    it('7. a listing category, tags, a publisher, and public/galleryFlags that agree', () => {
      assert.ok(EXTENSION.categories.length > 0);
      for (const c of EXTENSION.categories) assert.ok(['Azure Repos', 'Azure Boards', 'Azure Pipelines', 'Azure Test Plans', 'Azure Artifacts'].includes(c), c);
      assert.ok(EXTENSION.tags.includes('docker'));
      assert.match(EXTENSION.publisher, /^[a-z0-9][a-z0-9-]*$/i);
      assert.equal(typeof EXTENSION.public, 'boolean');
      assert.equal(EXTENSION.galleryFlags.includes('Public'), EXTENSION.public);
    });
  });

  describe('package.json (npm)', () => {
    it('8. publishable: not private, a bin, files limited to what runs, the repository', () => {
      assert.equal(PACKAGE.private, undefined);
      assert.equal(PACKAGE.bin['docker-image-cleanup'], 'bin/docker-image-cleanup.js');
      assert.ok(Array.isArray(PACKAGE.files) && PACKAGE.files.length > 0, 'files lists what the package holds');
      for (const entry of PACKAGE.files) assert.doesNotMatch(entry, /^(test|src|tasks|actions|bench|dist)\b/, `files has ${entry}`);
      assert.ok(PACKAGE.bugs.url.startsWith(REPOSITORY));
    });
  });

  describe('.github/workflows', () => {
    const workflows = fs.readdirSync(path.join(ROOT, '.github', 'workflows')).filter((f) => /\.ya?ml$/.test(f));
    for (const file of workflows) {
      it(`9. ${file}: read-only by default, third-party actions pinned by commit SHA`, () => {
        const text = read(`.github/workflows/${file}`);
        const workflow = yaml.load(text) as { permissions: Record<string, string>; jobs: Record<string, { permissions?: Record<string, string> }> };
        assert.deepEqual(workflow.permissions, { contents: 'read' });
        for (const m of text.matchAll(/uses:\s*(\S+)/g)) {
          if (m[1]!.startsWith('./')) continue;
          assert.match(m[1]!, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${file}: ${m[1]} is pinned by SHA`);
        }
        const writers = Object.entries(workflow.jobs).filter(([, job]) => Object.values(job.permissions ?? {}).includes('write'));
        for (const [name, job] of writers) {
          for (const [scope, level] of Object.entries(job.permissions!)) {
            if (level === 'write') assert.ok(['contents', 'id-token'].includes(scope), `${file} job ${name} writes ${scope}`);
          }
        }
      });
    }
    it('10. release.yml runs on version tags and reads its publish secrets only in the publish jobs', () => {
      const workflow = yaml.load(read('.github/workflows/release.yml')) as { on: { push: { tags: string[] } }; jobs: Record<string, unknown> };
      assert.deepEqual(workflow.on.push.tags, ['v[0-9]+.[0-9]+.[0-9]+']);
      for (const [name, job] of Object.entries(workflow.jobs)) {
        const secrets = [...JSON.stringify(job).matchAll(/secrets\.(\w+)/g)].map((m) => m[1]);
        assert.deepEqual(secrets, { assets: [], npm: ['NPM_TOKEN'], marketplace: ['AZURE_DEVOPS_MARKETPLACE_TOKEN'] }[name], name);
      }
    });
  });
});
