import type Docker from 'dockerode';
import { loadImages } from '../../src/demo/image-factory';
import { runContainer } from './engine';

const DAY = 86_400_000;

/**
 * What container jobs leave on an agent, for the fronts' volume tests: an anonymous volume
 * of 300 kB from a job removed without -v, named volumes no container mounts any more
 * (old-cache with 200 kB, pinned-npm), and svc-data that a running service mounts.
 * Resolves with the anonymous volume's name.
 */
export async function leaveJobVolumes(docker: Docker): Promise<string> {
  await loadImages(docker, [{ tags: ['runner:1'], created: new Date(Date.now() - 3 * DAY), layers: [{ id: 'vol-busybox', busybox: true }] }]);
  const fill = (file: string, kb: number) => ['/bin/busybox', 'dd', 'if=/dev/urandom', `of=${file}`, 'bs=1k', `count=${kb}`];
  const gone = await runContainer(docker, 'runner:1', { name: 'gone-job', volumes: ['/data'], cmd: fill('/data/f', 300) });
  await gone.wait();
  const leftover = ((await gone.inspect()) as any).Mounts[0].Name as string;
  await gone.remove({ v: false });
  const filler = await runContainer(docker, 'runner:1', { name: 'filler', volumes: ['old-cache:/c', 'pinned-npm:/p'], cmd: fill('/c/f', 200) });
  await filler.wait();
  await filler.remove();
  await runContainer(docker, 'runner:1', { name: 'svc', volumes: ['svc-data:/d'] });
  return leftover;
}
