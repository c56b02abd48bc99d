import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DockerOptions } from 'dockerode';
import { hostKeyVerifier, knownHostsFiles } from './known-hosts';

/** Where the engine's address came from, named in messages and the report. */
export interface Endpoint {
  /** unix:///…, tcp://…, ssh://…, npipe://… */
  host: string;
  /** e.g. "host setting", "DOCKER_HOST", "context ci (DOCKER_CONTEXT)", "rootless socket ($XDG_RUNTIME_DIR)" */
  source: string;
  /** TLS material of a context (its tls/ folder), or DOCKER_CERT_PATH with DOCKER_TLS_VERIFY. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** The folder the TLS material was read from, named when it does not fit the engine. */
  tlsDir?: string;
  skipTlsVerify?: boolean;
}

/** A context named by DOCKER_CONTEXT or config.json that has no metadata. */
export class ContextError extends Error {}

const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * Finds the engine as the docker CLI does: the host setting, else DOCKER_HOST, else the
 * context named by DOCKER_CONTEXT, else config.json's currentContext (in DOCKER_CONFIG or
 * ~/.docker), else the default socket. A context's endpoint and TLS material are read from
 * contexts/meta/<sha256(name)>/meta.json and contexts/tls/<sha256(name)>/docker/. The context
 * "default" means no context. Without any of them: /var/run/docker.sock, or the rootless
 * daemon's $XDG_RUNTIME_DIR/docker.sock when only that one exists.
 */
export function resolveEndpoint(host: string | undefined, env: NodeJS.ProcessEnv = process.env, exists: (p: string) => boolean = fs.existsSync): Endpoint {
  if (host) return withEnvTls({ host, source: 'host setting' }, env);
  if (env.DOCKER_HOST) return withEnvTls({ host: env.DOCKER_HOST, source: 'DOCKER_HOST' }, env);
  const configDir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
  const named = env.DOCKER_CONTEXT ? { name: env.DOCKER_CONTEXT, from: 'DOCKER_CONTEXT' } : currentContext(configDir);
  if (named && named.name !== 'default') return contextEndpoint(configDir, named.name, named.from);
  const rootless = env.XDG_RUNTIME_DIR && path.join(env.XDG_RUNTIME_DIR, 'docker.sock');
  if (rootless && !exists(DEFAULT_SOCKET) && exists(rootless)) return { host: `unix://${rootless}`, source: 'rootless socket ($XDG_RUNTIME_DIR)' };
  return { host: `unix://${DEFAULT_SOCKET}`, source: 'default socket' };
}

function currentContext(configDir: string): { name: string; from: string } | undefined {
  const file = path.join(configDir, 'config.json');
  let config: { currentContext?: unknown };
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined; // no config, or one the CLI would not read either
  }
  return typeof config.currentContext === 'string' && config.currentContext ? { name: config.currentContext, from: `currentContext in ${file}` } : undefined;
}

function contextEndpoint(configDir: string, name: string, from: string): Endpoint {
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  let meta: { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } };
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  } catch (error) {
    throw new ContextError(`docker context "${name}" (${from}) cannot be read: ${metaFile}: ${(error as Error).message}`);
  }
  const docker = meta.Endpoints?.docker;
  if (!docker?.Host) throw new ContextError(`docker context "${name}" (${from}) has no docker endpoint in ${metaFile}`);
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  const read = (file: string) => (fs.existsSync(path.join(tlsDir, file)) ? fs.readFileSync(path.join(tlsDir, file)) : undefined);
  const tls = { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
  return {
    host: docker.Host,
    source: `context ${name} (${from})`,
    tls: tls.ca || tls.cert || tls.key ? tls : undefined,
    tlsDir: tls.ca || tls.cert || tls.key ? tlsDir : undefined,
    skipTlsVerify: docker.SkipTLSVerify === true,
  };
}

/** DOCKER_TLS_VERIFY (certificates in DOCKER_CERT_PATH, else ~/.docker), or port 2376 with DOCKER_CERT_PATH. */
function withEnvTls(endpoint: Endpoint, env: NodeJS.ProcessEnv): Endpoint {
  if (!endpoint.host.startsWith('tcp://')) return endpoint;
  const verify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  if (!verify && !(new URL(endpoint.host).port === '2376' && env.DOCKER_CERT_PATH)) return endpoint;
  const dir = env.DOCKER_CERT_PATH || env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
  const read = (file: string) => (fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file)) : undefined);
  return { ...endpoint, tls: { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') }, tlsDir: dir };
}

/** Dockerode options for an endpoint. */
export function endpointOptions(endpoint: Endpoint, env: NodeJS.ProcessEnv = process.env): DockerOptions {
  const host = endpoint.host;
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) return { socketPath: host.slice('npipe://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const url = new URL(host);
  if (url.protocol === 'ssh:') {
    // As the docker CLI: the SSH agent (SSH_AUTH_SOCK) holds the keys, known_hosts vouches for the host.
    const port = Number(url.port || 22);
    const hostVerifier = hostKeyVerifier(url.hostname, port, knownHostsFiles(env));
    return { protocol: 'ssh', host: url.hostname, port, username: url.username || undefined, sshOptions: { agent: env.SSH_AUTH_SOCK, hostVerifier } } as DockerOptions;
  }
  const tls = endpoint.tls !== undefined || url.port === '2376';
  const options: DockerOptions = { protocol: tls ? 'https' : 'http', host: url.hostname, port: url.port || (tls ? 2376 : 2375) };
  if (endpoint.tls) Object.assign(options, { ca: endpoint.tls.ca, cert: endpoint.tls.cert, key: endpoint.tls.key });
  if (endpoint.skipTlsVerify) (options as any).agent = new https.Agent({ rejectUnauthorized: false, cert: endpoint.tls?.cert, key: endpoint.tls?.key });
  return options;
}

/** Dockerode options for a host setting (or none: found as the docker CLI does). */
export function connectionOptions(host: string | undefined, env: NodeJS.ProcessEnv = process.env): DockerOptions {
  return endpointOptions(resolveEndpoint(host, env), env);
}

/** The address to name in messages, with where it came from. */
export function describeHost(host: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  try {
    const e = resolveEndpoint(host, env);
    return e.source === 'host setting' ? e.host : `${e.host} (${e.source})`;
  } catch {
    return host ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  }
}

/** Default deadline of one engine call: long enough for a big prune or a large image delete. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** An engine call that got no answer within the deadline (a paused or overloaded daemon). */
export class EngineTimeoutError extends Error {
  constructor(
    readonly call: string,
    readonly host: string,
    readonly timeoutMs: number,
  ) {
    super(`the Docker engine at ${host} did not answer ${call} within ${formatSeconds(timeoutMs)} (paused or overloaded?); raise --timeout if it is only slow`);
    this.name = 'EngineTimeoutError';
  }
}

/** The engine went away during a call (killed, restarted, socket removed). */
export class EngineLostError extends Error {
  constructor(
    readonly call: string,
    readonly host: string,
    readonly code: string,
    override readonly cause?: unknown,
  ) {
    super(`lost the Docker engine at ${host} during ${call} (${code})`);
    this.name = 'EngineLostError';
  }
}

/** One finished Engine API call, for latency metrics: timed from the request until the answer starts. */
export interface EngineCallTiming {
  method: string;
  /** The path with names and IDs replaced, so a label stays small: `/images/{name}/json`. */
  endpoint: string;
  seconds: number;
  /** answered: any HTTP answer (404 and 409 included); timeout: the deadline; lost: the connection failed; error: anything else. */
  outcome: 'answered' | 'timeout' | 'lost' | 'error';
}

/** Path segments after which the next segment is a name or ID, unless it is one of the collection's own verbs. */
const NAMED_COLLECTIONS: Record<string, Set<string>> = {
  images: new Set(['json', 'create', 'load', 'get', 'prune', 'search', 'build']),
  containers: new Set(['json', 'create', 'prune']),
  volumes: new Set(['create', 'prune']),
  networks: new Set(['create', 'prune']),
  exec: new Set([]),
  plugins: new Set(['privileges', 'pull', 'create']),
};
/** What follows a name in an image path (image names hold slashes, so the name runs up to one of these). */
const IMAGE_ACTIONS = new Set(['json', 'history', 'tag', 'push', 'get']);

/**
 * A request path as a low-cardinality label: no query, no API version prefix, every
 * image name, container ID or volume name replaced: `DELETE /v1.41/images/app:ci-1?noprune=1`
 * -> `/images/{name}`.
 */
export function endpointOf(requestPath: string): string {
  const segments = requestPath.split('?')[0]!.split('/').filter(Boolean);
  if (/^v\d+\.\d+$/.test(segments[0] ?? '')) segments.shift();
  const [collection, ...rest] = segments;
  if (collection === undefined) return '/';
  const verbs = NAMED_COLLECTIONS[collection];
  if (!verbs || rest.length === 0 || verbs.has(rest[0]!)) return `/${segments.join('/')}`;
  if (collection === 'images') {
    const last = rest[rest.length - 1]!;
    return rest.length > 1 && IMAGE_ACTIONS.has(last) ? `/images/{name}/${last}` : '/images/{name}';
  }
  return ['', collection, '{name}', ...rest.slice(1)].join('/');
}

/** Connection-level failures: the engine is not there (any more). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/**
 * Gives every Engine API request a deadline and errors that name the call and
 * the engine. Every dockerode method (also the usage store's and the
 * maintenance calls on `engine.docker`) goes through `modem.dial`, so this is
 * the one place that covers them all. The deadline runs until the answer
 * starts; a stream that then stalls is cut by the modem's idle timeout.
 * `observe` (watch mode's metrics) is told each call's time to that answer.
 */
export function withDeadlines(docker: { modem: any }, host: string, timeoutMs: number, observe?: (call: EngineCallTiming) => void, tlsDir?: string): void {
  const modem = docker.modem;
  if (modem.__deadlines) return;
  modem.__deadlines = true;
  // Idle socket timeout: covers streams after their first byte. Not over ssh://: the modem's
  // socket is then an ssh2 channel, which has no setTimeout (Node would throw from inside
  // the request, uncaught); the deadline below still covers every call until it answers.
  if (modem.protocol !== 'ssh') modem.timeout = timeoutMs;
  const dial = modem.dial.bind(modem);
  modem.dial = (options: any, callback: (err: unknown, data?: unknown) => void) => {
    const call = `${options.method ?? 'GET'} ${String(options.path ?? '').replace(/\?$/, '')}`;
    const controller = new AbortController();
    let settled = false;
    const started = process.hrtime.bigint();
    const finish = (err: unknown, data?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (observe) {
        const outcome = err instanceof EngineTimeoutError ? 'timeout' : err instanceof EngineLostError ? 'lost' : err && (err as { statusCode?: unknown }).statusCode === undefined ? 'error' : 'answered';
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        // A metrics fault never fails an engine call.
        try {
          observe({ method: options.method ?? 'GET', endpoint: endpointOf(String(options.path ?? '')), seconds, outcome });
        } catch {}
      }
      callback(err, data);
    };
    const timer = setTimeout(() => {
      finish(new EngineTimeoutError(call, host, timeoutMs));
      controller.abort();
    }, timeoutMs);
    timer.unref?.();
    const signal = options.abortSignal ? AbortSignal.any([options.abortSignal, controller.signal]) : controller.signal;
    return dial({ ...options, abortSignal: signal }, (err: any, data: unknown) => {
      if (err && CONNECTION_CODES.has(err.code) && err.statusCode === undefined) return finish(new EngineLostError(call, host, err.code, err));
      if (err && typeof err.level === 'string' && err.statusCode === undefined) return finish(new EngineLostError(call, host, `ssh ${err.level}`, sshFailure(err)));
      const tls = err && err.statusCode === undefined ? tlsFailure(err, tlsDir) : undefined;
      if (tls) return finish(Object.assign(tls, { code: err.code }));
      finish(err, data);
    });
  };
}

/**
 * An ssh2 error (it carries `level`: client-authentication, client-socket, handshake, …) as
 * one line saying what to do. Keys come from the SSH agent, as for the docker CLI.
 */
export function sshFailure(err: { level: string; message: string }, env: NodeJS.ProcessEnv = process.env): Error {
  if (err.level === 'client-authentication') {
    const agent = env.SSH_AUTH_SOCK
      ? `none of the keys the SSH agent at SSH_AUTH_SOCK=${env.SSH_AUTH_SOCK} holds was accepted; add the right one with ssh-add`
      : 'SSH_AUTH_SOCK is not set: keys come from the SSH agent, as for the docker CLI (start ssh-agent and ssh-add the key)';
    return new Error(`SSH login refused (${err.message}): ${agent}`);
  }
  if (err.level === 'handshake' && /Host denied/.test(err.message)) {
    return new Error(
      `the SSH host key is not one known_hosts lists for this host (unknown host, or its key changed); check it and accept it once with ssh, as the docker CLI needs (files read: ${knownHostsFiles(env).join(', ')})`,
    );
  }
  if (err.level === 'agent') return new Error(`the SSH agent at SSH_AUTH_SOCK=${env.SSH_AUTH_SOCK ?? ''} does not answer (${err.message}); start ssh-agent and point SSH_AUTH_SOCK at it`);
  return new Error(`SSH ${err.level}: ${err.message}`);
}

/** Node's codes for a server certificate that does not verify against the CA given. */
const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A TLS failure as one line saying which material did not fit and what to give instead;
 * undefined for any other error. `tlsDir`: where ca.pem, cert.pem and key.pem came from.
 */
export function tlsFailure(err: { code?: unknown; message: string }, tlsDir?: string): Error | undefined {
  const code = typeof err.code === 'string' ? err.code : '';
  if (TLS_TRUST_CODES.has(code)) {
    return tlsDir
      ? new Error(`its TLS certificate does not verify against ${path.join(tlsDir, 'ca.pem')} (${err.message}); replace that ca.pem with the CA that signed the daemon's certificate`)
      : new Error(`its TLS certificate does not verify against the system's CAs (${err.message}); give DOCKER_CERT_PATH or the context the ca.pem of the CA that signed the daemon's certificate`);
  }
  // ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE (Node 20's OpenSSL), ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE (Node 24's)
  const alert = /^ERR_SSL_[\w/]*ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN)$/.exec(code);
  if (alert) {
    const said = alert[1]!.toLowerCase().replace(/_/g, ' ');
    return new Error(`it refused this client's TLS certificate (TLS alert: ${said}); put a client certificate its CA signed in ${tlsDir ?? 'DOCKER_CERT_PATH or the context'} as cert.pem and key.pem`);
  }
  return undefined;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
