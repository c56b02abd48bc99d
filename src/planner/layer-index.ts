import type { ImageRecord } from './snapshot';

/**
 * A trie of layer chains. Images that share a base share a path from the root,
 * so "is X a base of K" and "which bytes does removing this set free" are
 * walks along paths instead of pairwise comparisons (100,000 images stay cheap).
 */
interface LayerNode {
  /**
   * Children by layer ID. Most nodes have none (an image's own top layer) or one
   * (the layers below it): the first child sits in `onlyKey`/`onlyChild` and a Map
   * is made only for a second one (100,000 images would otherwise make 100,000 Maps).
   */
  onlyKey: string | undefined;
  onlyChild: LayerNode | undefined;
  children: Map<string, LayerNode> | undefined;
  parent: LayerNode | undefined;
  /**
   * Bytes freed when no image uses this layer any more: its diff (snapshot) size, undefined
   * until some image's history tells; plus its content blob where the engine counts those.
   */
  size: number | undefined;
  /** Content blob bytes of this layer (engines that count content); undefined until learnt. */
  content: number | undefined;
  /** Its content could not be told apart from the images' above it (see fillContent). */
  contentUnknown: boolean;
  /** Images whose chain passes through (or ends at) this node. */
  users: number;
  /** Images whose chain ends exactly here. */
  endingHere: ImageRecord[];
  /** Scratch counts of the latest RemovalSimulation (see there). */
  simGeneration: number;
  simSurvivors: number;
  simEnding: number;
}

const NONE: ImageRecord[] = [];

/** Every field set at once: one object shape for all nodes. */
function newNode(parent: LayerNode | undefined): LayerNode {
  return {
    onlyKey: undefined,
    onlyChild: undefined,
    children: undefined,
    parent,
    size: undefined,
    content: undefined,
    contentUnknown: false,
    users: 0,
    endingHere: NONE,
    simGeneration: 0,
    simSurvivors: 0,
    simEnding: 0,
  };
}

function childOf(node: LayerNode, layer: string): LayerNode | undefined {
  return node.onlyKey === layer ? node.onlyChild : node.children?.get(layer);
}

function addChild(node: LayerNode, layer: string, child: LayerNode): void {
  if (node.onlyKey === undefined) {
    node.onlyKey = layer;
    node.onlyChild = child;
  } else {
    (node.children ??= new Map()).set(layer, child);
  }
}

function forEachChild(node: LayerNode, fn: (child: LayerNode) => void): void {
  if (node.onlyChild) fn(node.onlyChild);
  node.children?.forEach(fn);
}

export class LayerIndex {
  private readonly root = newNode(undefined);
  private readonly leafOf = new Map<string, LayerNode>();
  /** Content bytes that are one image's alone (its index, manifest, config), by image ID. */
  private readonly ownContent = new Map<string, number>();

  /**
   * `countContent`: the engine's disk use counts content blobs (EngineInfo.diskUseCountsContent),
   * so a layer frees its blob with its snapshot, and an image its own blobs. `snapshotsAreCopies`:
   * each layer's snapshot holds its parents' files too (native snapshotter), for telling the data
   * a layer adds.
   */
  private readonly snapshotsAreCopies: boolean;

  constructor(images: readonly ImageRecord[], options: { countContent?: boolean; snapshotsAreCopies?: boolean } = {}) {
    this.snapshotsAreCopies = options.snapshotsAreCopies === true;
    for (const image of images) this.add(image);
    for (const image of images) this.fillUnknownSizes(image);
    if (options.countContent) this.fillContent(images);
  }

  /**
   * The API gives each image's content total (its manifests' present blobs) and the sizes of
   * its index and manifests, not its layer blobs. Taken bases first (shorter chains first), the
   * content an image has beyond the layers already known is put on its topmost new layer (its
   * config goes with it): exact when a layer shared by several images is some image's top, as a
   * pulled base is. A shared layer no image ends at cannot be told apart (each image above it
   * carries its blob in its own part): marked, so the plan can say so.
   */
  private fillContent(images: readonly ImageRecord[]): void {
    const counted = images.filter((i) => i.contentBytes !== undefined);
    const byChain = counted.map((image, order) => ({ image, order })).sort((a, b) => a.image.layers.length - b.image.layers.length || a.order - b.order);
    for (const { image } of byChain) {
      const path = this.pathOf(image.id);
      const own = Math.min(image.ownContentBytes ?? 0, image.contentBytes!);
      let rest = image.contentBytes! - own;
      const unknown: LayerNode[] = [];
      for (const n of path) {
        if (n.content === undefined) unknown.push(n);
        else rest -= n.content;
      }
      rest = Math.max(0, rest);
      const top = unknown[unknown.length - 1];
      for (const n of unknown) {
        n.content = n === top ? rest : 0;
        // used by more images than the top one: its blob may outlive the top's, yet is counted there
        n.contentUnknown = n.users > top!.users;
      }
      this.ownContent.set(image.id, top ? own : own + rest);
    }
    this.liftSharedContent();
    const fold = (n: LayerNode): void =>
      forEachChild(n, (child) => {
        if (child.content) child.size = (child.size ?? 0) + child.content;
        fold(child);
      });
    fold(this.root);
  }

  /**
   * A shared layer no image ends at has its blob counted in each branch above it. Each branch's
   * placed content is split between the shared run of layers and its own layers by the data they
   * add (blobs pack that data): the smallest such share, never more than any branch holds, is
   * lifted onto the shared layer from every branch, deepest first. An estimate, so the layer stays
   * marked. A branch that splits again before any content is placed leaves the layer as it was.
   */
  private liftSharedContent(): void {
    const marked: { node: LayerNode; depth: number }[] = [];
    const walk = (n: LayerNode, depth: number): void =>
      forEachChild(n, (child) => {
        if (child.contentUnknown) marked.push({ node: child, depth });
        walk(child, depth + 1);
      });
    walk(this.root, 0);
    marked.sort((a, b) => b.depth - a.depth);
    for (const { node } of marked) {
      const carriers: { node: LayerNode; data: number }[] = [];
      let whole = true;
      forEachChild(node, (child) => {
        let n: LayerNode = child;
        let data = this.dataOf(n);
        while (!n.content && n.endingHere.length === 0 && n.onlyChild && !n.children) {
          n = n.onlyChild;
          data += this.dataOf(n);
        }
        if (n.content) carriers.push({ node: n, data });
        else whole = false;
      });
      if (!whole || carriers.length < 2) continue;
      // the shared run: this layer and the unplaced ones below it, up to placed content or an image
      let shared = 0;
      for (let n: LayerNode | undefined = node; n && n !== this.root && !n.content && n.endingHere.length === 0; n = n.parent) shared += this.dataOf(n);
      const share = ({ node: c, data }: { node: LayerNode; data: number }) => (shared + data > 0 ? Math.floor((c.content! * shared) / (shared + data)) : 0);
      const lift = Math.min(...carriers.map((c) => Math.min(c.node.content!, share(c))));
      for (const c of carriers) c.node.content! -= lift;
      node.content = (node.content ?? 0) + lift;
    }
  }

  /**
   * The data a layer adds: its snapshot bytes, less its parent's where each snapshot is a full
   * copy of the filesystem (the native snapshotter, vfs).
   */
  private dataOf(n: LayerNode): number {
    const own = n.size ?? 0;
    return this.snapshotsAreCopies && n.parent && n.parent !== this.root ? Math.max(0, own - (n.parent.size ?? 0)) : own;
  }

  /**
   * Shared layers (several images use them, none ends there) whose blobs the plan could not
   * place, among these images' layers: the plan counts their blobs in every image above them.
   */
  unplacedSharedContent(imageIds: Iterable<string>): number {
    const seen = new Set<LayerNode>();
    for (const id of imageIds) for (let n = this.leafOf.get(id); n && n !== this.root; n = n.parent) if (n.contentUnknown) seen.add(n);
    return seen.size;
  }

  private add(image: ImageRecord): void {
    let node = this.root;
    const sizes = consistentLayerSizes(image);
    const layers = image.layers;
    for (let i = 0; i < layers.length; i++) {
      let child = childOf(node, layers[i]!);
      if (!child) {
        child = newNode(node);
        addChild(node, layers[i]!, child);
      }
      if (sizes && child.size === undefined) child.size = sizes[i];
      child.users++;
      node = child;
    }
    if (node.endingHere === NONE) node.endingHere = [image];
    else node.endingHere.push(image);
    this.leafOf.set(image.id, node);
  }

  /**
   * Without per-layer sizes, the part of the image's size that its known layers
   * do not explain is put on its topmost unknown layer: exact for the common
   * case where a whole suffix of layers belongs to this image alone.
   */
  private fillUnknownSizes(image: ImageRecord): void {
    let complete = true;
    for (let n = this.leafOf.get(image.id); n && n !== this.root; n = n.parent) if (n.size === undefined) complete = false;
    if (complete) return;
    const path = this.pathOf(image.id);
    const unknown = path.filter((n) => n.size === undefined);
    if (unknown.length === 0) return;
    const known = path.reduce((sum, n) => sum + (n.size ?? 0), 0);
    for (const n of unknown) n.size = 0;
    unknown[unknown.length - 1].size = Math.max(0, image.size - known);
  }

  /** Nodes from the base layer to the image's top layer. */
  private pathOf(imageId: string): LayerNode[] {
    const path: LayerNode[] = [];
    for (let n = this.leafOf.get(imageId); n && n !== this.root; n = n.parent) path.push(n);
    return path.reverse();
  }

  /** Images whose whole chain is a strict prefix of this image's chain (its bases). */
  basesOf(imageId: string): ImageRecord[] {
    const bases: ImageRecord[] = [];
    const leaf = this.leafOf.get(imageId);
    for (let n = leaf?.parent; n && n !== this.root; n = n.parent) bases.push(...n.endingHere);
    return bases;
  }

  /** Other images with exactly the same chain (same content, other config). */
  sameChainAs(imageId: string): ImageRecord[] {
    const leaf = this.leafOf.get(imageId);
    return leaf ? leaf.endingHere.filter((i) => i.id !== imageId) : [];
  }

  /** Bytes in layers no other image uses. */
  uniqueBytes(imageId: string): number {
    let bytes = 0;
    for (let n = this.leafOf.get(imageId); n && n !== this.root; n = n.parent) if (n.users === 1) bytes += n.size ?? 0;
    return bytes + (this.ownContent.get(imageId) ?? 0);
  }

  /** Bytes of every layer once: what the engine's images take on disk (LayersSize). */
  totalBytes(): number {
    let total = 0;
    const walk = (n: LayerNode): void =>
      forEachChild(n, (child) => {
        total += child.size ?? 0;
        walk(child);
      });
    walk(this.root);
    for (const own of this.ownContent.values()) total += own;
    return total;
  }

  /**
   * For every image with layers, the largest `value` among the images built on it (chains that
   * strictly continue past its own; not those with the same chain); -Infinity when there are none.
   * One walk of the trie: linear in the number of layers.
   */
  maxOverDependents(value: (image: ImageRecord) => number): Map<string, number> {
    const result = new Map<string, number>();
    const visit = (node: LayerNode): number => {
      let above = -Infinity;
      forEachChild(node, (child) => {
        const v = visit(child);
        if (v > above) above = v;
      });
      let subtree = above;
      for (const image of node.endingHere) {
        if (node !== this.root) result.set(image.id, above); // images without layers are nobody's base
        const v = value(image);
        if (v > subtree) subtree = v;
      }
      return subtree;
    };
    visit(this.root);
    return result;
  }

  simulate(): RemovalSimulation {
    return new RemovalSimulation((id) => this.leafOf.get(id), (id) => this.ownContent.get(id) ?? 0);
  }

  /** Bytes freed when all these images go: a layer counts once no survivor uses it. */
  bytesFreedBy(imageIds: Iterable<string>): number {
    const sim = this.simulate();
    let freed = 0;
    for (const id of imageIds) freed += sim.remove(id); // a repeated ID frees nothing more
    return freed;
  }
}

/** Per-layer sizes only when they agree with the image's total (else guessing would mislead). */
function consistentLayerSizes(image: ImageRecord): number[] | undefined {
  const sizes = image.layerSizes;
  if (!sizes || sizes.length !== image.layers.length) return undefined;
  const total = sizes.reduce((a, b) => a + b, 0);
  return total === image.size ? sizes : undefined;
}

/**
 * Removes images one at a time from a copy of the index's counts and tells what
 * each removal frees given the ones before it: the eviction loop's accountant.
 */
export class RemovalSimulation {
  private static generations = 0;
  /** Counts live on the nodes, stamped with this simulation's generation: no per-run maps. */
  private readonly generation = ++RemovalSimulation.generations;
  private readonly removed = new Set<string>();

  constructor(
    private readonly leafOf: (id: string) => LayerNode | undefined,
    private readonly ownContentOf: (id: string) => number = () => 0,
  ) {}

  private touch(n: LayerNode): void {
    if (n.simGeneration !== this.generation) {
      n.simGeneration = this.generation;
      n.simSurvivors = n.users;
      n.simEnding = n.endingHere.length;
    }
  }

  /** Bytes this removal frees now; 0 when already removed. */
  remove(imageId: string): number {
    if (this.removed.has(imageId)) return 0;
    this.removed.add(imageId);
    const leaf = this.leafOf(imageId);
    if (!leaf) return 0;
    this.touch(leaf);
    leaf.simEnding--;
    let freed = this.ownContentOf(imageId);
    for (let n: LayerNode | undefined = leaf; n && n.parent; n = n.parent) {
      this.touch(n);
      if (--n.simSurvivors === 0) freed += n.size ?? 0;
    }
    return freed;
  }

  /** Some surviving image is built on top of this one (its chain continues past it). */
  hasSurvivingDependents(imageId: string): boolean {
    const leaf = this.leafOf(imageId);
    if (!leaf) return false;
    this.touch(leaf);
    return leaf.simSurvivors > leaf.simEnding;
  }

  isRemoved(imageId: string): boolean {
    return this.removed.has(imageId);
  }
}
