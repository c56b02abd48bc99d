import { strict as assert } from 'node:assert';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { hostKeyKnown, knownHostsName } from '../../../src/engine/known-hosts';

/** A raw ssh-ed25519 public key blob, as ssh2 hands it to hostVerifier. */
function ed25519Blob(): Buffer {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]);
}

const hashed = (name: string, salt = Buffer.from('0123456789abcdefghij')) =>
  `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;

describe('known_hosts: the host key check the docker CLI gets from OpenSSH', () => {
  const key = ed25519Blob();
  const other = ed25519Blob();
  const line = (hosts: string, k = key, marker = '') => `${marker ? `${marker} ` : ''}${hosts} ssh-ed25519 ${k.toString('base64')} comment`;

  it('1. names a host as OpenSSH does: bare on port 22, [host]:port otherwise, IPv6 unbracketed', () => {
    assert.equal(knownHostsName('build01', 22), 'build01');
    assert.equal(knownHostsName('build01', 2222), '[build01]:2222');
    assert.equal(knownHostsName('[::1]', 22), '::1');
    assert.equal(knownHostsName('[::1]', 2222), '[::1]:2222');
  });

  const cases: { name: string; text: string; host: string; known: boolean }[] = [
    { name: 'the host with its key', text: line('build01'), host: 'build01', known: true },
    { name: 'the host with another key (changed key)', text: line('build01', other), host: 'build01', known: false },
    { name: 'an unknown host', text: line('build02'), host: 'build01', known: false },
    { name: 'an empty file', text: '', host: 'build01', known: false },
    { name: 'one of several comma-separated names', text: line('build02,build01,10.0.0.5'), host: 'build01', known: true },
    { name: 'a non-default port', text: line('[build01]:2222'), host: '[build01]:2222', known: true },
    { name: 'port 22 listed, another port asked', text: line('build01'), host: '[build01]:2222', known: false },
    { name: 'a hashed name', text: line(hashed('[127.0.0.1]:2222')), host: '[127.0.0.1]:2222', known: true },
    { name: 'a hashed name of another host', text: line(hashed('build02')), host: 'build01', known: false },
    { name: 'a wildcard', text: line('*.agents.example.com'), host: 'b1.agents.example.com', known: true },
    { name: 'a wildcard with a negation', text: line('*.agents.example.com,!b1.agents.example.com'), host: 'b1.agents.example.com', known: false },
    { name: 'names compare without case', text: line('Build01'), host: 'build01', known: true },
    { name: 'a revoked key, listed too', text: [line('build01'), line('build01', key, '@revoked')].join('\n'), host: 'build01', known: false },
    { name: 'a certificate authority line (host certificates are not taken)', text: line('build01', key, '@cert-authority'), host: 'build01', known: false },
    { name: 'comments and blank lines around it', text: ['# fleet', '', `  ${line('build01')}`, ''].join('\n'), host: 'build01', known: true },
    { name: 'the old key and the new one both listed', text: [line('build01', other), line('build01')].join('\n'), host: 'build01', known: true },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i + 2}. ${c.name}: ${c.known ? 'known' : 'refused'}`, () => {
      assert.equal(hostKeyKnown(c.text, c.host, key), c.known);
    });
  }
});
