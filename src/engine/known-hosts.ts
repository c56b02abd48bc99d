/**
 * The SSH host key check the docker CLI gets from OpenSSH: an ssh:// engine is used only
 * when a known_hosts file lists that host with the key it presents. An unknown host or a
 * changed key is refused (OpenSSH without a terminal does the same), so a machine in the
 * middle never receives the cleaner's API calls.
 */
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The files OpenSSH reads by default (UserKnownHostsFile, GlobalKnownHostsFile). */
export function knownHostsFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || os.homedir();
  return [path.join(home, '.ssh', 'known_hosts'), path.join(home, '.ssh', 'known_hosts2'), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` on any other. */
export function knownHostsName(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1'); // a URL's IPv6 host comes bracketed
  return port === 22 ? bare : `[${bare}]:${port}`;
}

/** True when the text lists `name` with exactly this key (the raw public key blob) and does not revoke it. */
export function hostKeyKnown(text: string, name: string, key: Buffer): boolean {
  let listed = false;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) continue;
    const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
    const [hosts, , blob] = fields;
    if (!hosts || !blob || !hostsMatch(hosts, name)) continue;
    const same = Buffer.from(blob, 'base64').equals(key);
    if (marker === '@revoked' && same) return false;
    // @cert-authority lines sign host certificates, which this check does not take.
    if (marker === undefined && same) listed = true;
  }
  return listed;
}

/** A host field: comma-separated patterns (`*`, `?`, `!` negation) or one hashed name `|1|salt|hash`. */
function hostsMatch(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    return createHmac('sha1', Buffer.from(salt ?? '', 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatch(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function globMatch(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(name);
}

/** ssh2's hostVerifier for one endpoint: the files are read when the connection checks the key. */
export function hostKeyVerifier(host: string, port: number, files: string[]): (key: Buffer) => boolean {
  const name = knownHostsName(host, port);
  // All files as one: a key one file revokes stays revoked whatever another lists.
  return (key) => hostKeyKnown(files.map((file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '')).join('\n'), name, key);
}
