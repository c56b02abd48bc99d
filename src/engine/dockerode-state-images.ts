import type Dockerode from 'dockerode';
import { fullImageId } from '../domain/image-id';
import { isGone, messageOf, readRacingChanges, statusOf } from './api-errors';
import { fileInSavedImage, loadArchive, readStream } from './image-archive';
import type { LockContainerSpec, LockCreation, RemovalOutcome, StateImage, StateImagesPort } from './port';

/** The StateImagesPort over the Engine API (dockerd and Podman alike); calls carry the client's deadlines. */
export class DockerodeStateImages implements StateImagesPort {
  constructor(private readonly docker: Dockerode) {}

  async inspectStateImage(idOrReference: string): Promise<StateImage | undefined> {
    let info: any;
    try {
      info = await this.docker.getImage(idOrReference).inspect();
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
    return {
      id: fullImageId(info.Id) ?? info.Id,
      tags: ((info.RepoTags ?? []) as string[]).filter((t) => !t.endsWith(':<none>')),
      digests: info.RepoDigests ?? [],
      labels: info.Config?.Labels ?? {},
      layers: info.RootFS?.Layers ?? [],
      ...(typeof info.Size === 'number' ? { size: info.Size } : {}),
    };
  }

  async listLabelledImages(label: string, value: string): Promise<{ id: string; tags: string[] }[]> {
    const listed = await readRacingChanges(() => this.docker.listImages({ filters: JSON.stringify({ label: [`${label}=${value}`] }) }));
    return listed.map((i) => ({ id: fullImageId(i.Id) ?? i.Id, tags: i.RepoTags ?? [] }));
  }

  async loadImageArchive(archive: Buffer, options: { existingIsFine?: boolean } = {}): Promise<void> {
    // Two agents loading one image at once: the containerd store refuses the second with "already exists".
    await loadArchive(this.docker, archive).catch((e) => (options.existingIsFine && /already exists/i.test(messageOf(e)) ? undefined : Promise.reject(e)));
  }

  async readImageFile(imageId: string, file: string): Promise<string> {
    const saved = await readStream((await this.docker.getImage(imageId).get()) as unknown as NodeJS.ReadableStream);
    return fileInSavedImage(saved, file);
  }

  async removeStateImage(id: string): Promise<RemovalOutcome> {
    try {
      const answer: { Untagged?: string; Deleted?: string }[] = await this.docker.getImage(id).remove({ noprune: false });
      return { status: 'done', untagged: answer.filter((a) => a.Untagged).map((a) => a.Untagged!), deleted: answer.filter((a) => a.Deleted).map((a) => a.Deleted!) };
    } catch (error) {
      if (isGone(error)) return { status: 'gone' };
      if (statusOf(error) === 409) return { status: 'conflict', message: messageOf(error) };
      throw error;
    }
  }

  async createLockContainer(spec: LockContainerSpec): Promise<LockCreation> {
    try {
      const container = await this.docker.createContainer({ name: spec.name, Image: spec.image, Cmd: spec.cmd, Labels: spec.labels, HostConfig: { NetworkMode: 'none' } });
      return { status: 'created', id: container.id };
    } catch (error) {
      if (statusOf(error) === 404 && /image|no such/i.test(messageOf(error))) return { status: 'no-image' };
      // Docker: 409 "Conflict. The container name … is already in use"; Podman says "already in use" too.
      if (statusOf(error) === 409 || /already in use/i.test(messageOf(error))) return { status: 'taken' };
      throw error;
    }
  }

  async lockContainer(name: string): Promise<{ id: string; created: number; labels: Record<string, string> } | undefined> {
    try {
      const info: any = await this.docker.getContainer(name).inspect();
      const created = Date.parse(info.Created);
      return { id: info.Id, created: Number.isFinite(created) ? created : Date.now(), labels: info.Config?.Labels ?? {} };
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
  }

  async removeLockContainer(id: string): Promise<void> {
    try {
      // Created, never started: nothing to force.
      await this.docker.getContainer(id).remove({ v: true });
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
}
