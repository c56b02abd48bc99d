import * as fs from 'node:fs/promises';
import type { FilesystemStats } from '../planner/eviction';

/**
 * Free space and inodes of the filesystem holding `path` (the engine's data
 * root, when this host can see it). undefined when the path is not visible,
 * as in a Docker-outside-of-Docker agent that only has the socket.
 */
export async function filesystemStats(path: string): Promise<FilesystemStats | undefined> {
  try {
    const s = await fs.statfs(path);
    return {
      totalBytes: s.blocks * s.bsize,
      // bavail: what an unprivileged writer (the engine's layers) can still use
      freeBytes: s.bavail * s.bsize,
      totalInodes: s.files,
      freeInodes: s.ffree,
    };
  } catch {
    return undefined;
  }
}
