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

/** Connection-level failures: the engine is not there (any more). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/**
 * Gives every Engine API request a deadline and errors that name the call and
 * the engine. Every dockerode method (also the usage store's and the
 * maintenance calls on `engine.docker`) goes through `modem.dial`, so this is
 * the one place that covers them all. The deadline runs until the answer
 * starts; a stream that then stalls is cut by the modem's idle timeout.
 */
export function withDeadlines(docker: { modem: any }, host: string, timeoutMs: number): void {
  const modem = docker.modem;
  if (modem.__deadlines) return;
  modem.__deadlines = true;
  modem.timeout = timeoutMs; // idle socket timeout: covers streams after their first byte
  const dial = modem.dial.bind(modem);
  modem.dial = (options: any, callback: (err: unknown, data?: unknown) => void) => {
    const call = `${options.method ?? 'GET'} ${String(options.path ?? '').replace(/\?$/, '')}`;
    const controller = new AbortController();
    let settled = false;
    const finish = (err: unknown, data?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
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
      finish(err, data);
    });
  };
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
