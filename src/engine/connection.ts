import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DockerOptions } from 'dockerode';

/**
 * Dockerode options for an explicit host setting. Without one, dockerode's own
 * modem reads DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, so we leave
 * the options empty and let it do what the docker CLI does.
 */
export function connectionOptions(host: string | undefined, env: NodeJS.ProcessEnv = process.env): DockerOptions {
  if (!host) return {};
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) return { socketPath: host.slice('npipe://'.length) };
  const url = new URL(host);
  if (url.protocol === 'ssh:') {
    return { protocol: 'ssh', host: url.hostname, port: url.port || 22, username: url.username || undefined };
  }
  const tls = env.DOCKER_TLS_VERIFY === '1' || url.port === '2376';
  const options: DockerOptions = {
    protocol: tls ? 'https' : 'http',
    host: url.hostname,
    port: url.port || (tls ? 2376 : 2375),
  };
  if (tls && env.DOCKER_CERT_PATH) {
    options.ca = fs.readFileSync(path.join(env.DOCKER_CERT_PATH, 'ca.pem'));
    options.cert = fs.readFileSync(path.join(env.DOCKER_CERT_PATH, 'cert.pem'));
    options.key = fs.readFileSync(path.join(env.DOCKER_CERT_PATH, 'key.pem'));
  }
  return options;
}

/** The address to name in messages. */
export function describeHost(host: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return host ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}
