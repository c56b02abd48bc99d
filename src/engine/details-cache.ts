/** What one image inspect + history tells that the image list does not. */
export interface ImageDetails {
  layers: string[];
  layerSizes?: number[];
  lastTagged?: number;
}

/**
 * Image IDs are content addresses: layers never change for an ID. The last-tag
 * time does, so the key includes the tag set and a retag asks again.
 */
export interface ImageDetailsCache {
  get(key: string): ImageDetails | undefined;
  set(key: string, details: ImageDetails): void;
}

export function detailsKey(id: string, tags: readonly string[]): string {
  return `${id} ${[...tags].sort().join(',')}`;
}

export class MemoryDetailsCache implements ImageDetailsCache {
  private readonly entries = new Map<string, ImageDetails>();
  get(key: string): ImageDetails | undefined {
    return this.entries.get(key);
  }
  set(key: string, details: ImageDetails): void {
    this.entries.set(key, details);
  }
}
