import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT, EXIT_MEANING } from '../../../src/app/outcome';
import { main } from '../../../src/cli/main';
import { parseCliArgs } from '../../../src/cli/args';

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTty: false });
  return { code, out, err };
}

describe('CLI', () => {
  const bad: { args: string[]; message: RegExp }[] = [
    { args: ['--keep', '-1'], message: /keep.*-1/ },
    { args: ['--keep', '1.5'], message: /keep.*1\.5/ },
    { args: ['--keep', 'abc'], message: /keep.*abc/ },
    { args: ['--min-age', '10 parsecs'], message: /min-age.*10 parsecs/ },
    { args: ['--protect', 'Node:*'], message: /protect.*Node/ },
    { args: ['--max-removals', 'lots'], message: /max-removals.*lots/ },
    { args: ['--order', 'random'], message: /order.*random/ },
    { args: ['--kepe', '2'], message: /kepe/ },
  ];
  for (const [i, c] of bad.entries()) {
    it(`${i + 1}. rejects ${c.args.join(' ')} with exit 2 before touching the engine`, async () => {
      const r = await cli(...c.args, '--host', 'unix:///nonexistent/should-not-be-dialed.sock');
      assert.equal(r.code, 2);
      assert.match(r.err, c.message);
      assert.doesNotMatch(r.err, /cannot reach/);
      assert.equal(r.out, '');
    });
  }

  it('9. an unreachable socket exits 2 and names the address', async () => {
    const r = await cli('--host', 'unix:///nonexistent/docker.sock');
    assert.equal(r.code, 2);
    assert.match(r.err, /cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker\.sock/);
  });

  it('10. --help documents every setting and the exit codes', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    for (const flag of ['--keep', '--current', '--protect', '--protect-label', '--repositories', '--dockerfile', '--min-age', '--max-removals', '--dry-run', '--json', '--host']) {
      assert.ok(r.out.includes(flag), flag);
    }
    assert.match(r.out, /Exit codes/);
  });

  it('10b. every exit status the code returns is explained in --help and in docs/cli.md', async () => {
    const help = (await cli('--help')).out;
    const page = fs.readFileSync(path.join(__dirname, '../../../../docs/cli.md'), 'utf8');
    const documentedCodes = page.slice(page.indexOf('Exit codes:'), page.indexOf('With `--json`, a failure'));
    for (const [name, code] of Object.entries(EXIT)) {
      assert.ok(help.includes(`  ${code}  ${EXIT_MEANING[code]}`), `--help explains exit ${code} (${name})`);
      assert.ok(documentedCodes.includes(`\`${code}\``), `docs/cli.md explains exit ${code} (${name})`);
    }
  });

  it('11. list flags repeat or take commas', () => {
    const a = parseCliArgs(['--protect', 'node:*', '--protect', 'mcr.microsoft.com/**,redis']);
    assert.equal(a.raw.protect, 'node:*\nmcr.microsoft.com/**,redis');
  });
});
