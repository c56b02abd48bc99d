import type Dockerode from 'dockerode';

/** Collects a stream (an image save, a load answer) into one buffer. */
export function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

/**
 * `docker load` of a docker-save archive. The engine answers 200 and reports a
 * failure inside the JSON stream (Podman answers 500): drain it and throw on either.
 * The containerd store creates each name record after checking it is absent, so
 * two loads of one tag at once can fail with `image "…": already exists`; the
 * record exists now and a second load updates it.
 */
export async function loadArchive(docker: Dockerode, archive: Buffer): Promise<void> {
  try {
    await loadOnce(docker, archive);
  } catch (error) {
    if (!/docker load failed: image .*already exists/.test(String((error as Error).message))) throw error;
    await loadOnce(docker, archive);
  }
}

async function loadOnce(docker: Dockerode, archive: Buffer): Promise<void> {
  // docker-modem sends a Buffer body as is; the typings only mention streams.
  const stream = await docker.loadImage(archive as unknown as NodeJS.ReadableStream, { quiet: true });
  const text = (await readStream(stream)).toString('utf8');
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    let message: { error?: string; errorDetail?: { message?: string } };
    try {
      message = JSON.parse(trimmed);
    } catch {
      continue;
    }
    const error = message.errorDetail?.message ?? message.error;
    if (error) throw new Error(`docker load failed: ${error}`);
  }
}
