import { strict as assert } from 'node:assert';
import { storeKind, tuningFor } from '../../../src/engine/store-tuning';

// The tuning per store, from the engine as info() describes it (docs/performance.md has the sweeps).
const CASES: { engine: string; version: string; containerdStore: boolean; kind: string; removals: number; measureBeside: boolean }[] = [
  { engine: 'dockerd 20.10, graph driver', version: '20.10.24+dfsg1', containerdStore: false, kind: 'graphdriver', removals: 8, measureBeside: false },
  { engine: 'Podman 4.3', version: '4.3.1', containerdStore: false, kind: 'graphdriver', removals: 8, measureBeside: false },
  { engine: 'dockerd 26.1, containerd store', version: '26.1.5+dfsg1', containerdStore: true, kind: 'containerd', removals: 8, measureBeside: false },
  { engine: 'dockerd 28.1, containerd store (still walks every image per delete)', version: '28.1.1', containerdStore: true, kind: 'containerd', removals: 8, measureBeside: false },
  { engine: 'dockerd 28.5, containerd store', version: '28.5.2+dfsg4', containerdStore: true, kind: 'containerd-28.2', removals: 8, measureBeside: true },
  { engine: 'dockerd 29.1, containerd store', version: '29.1.0', containerdStore: true, kind: 'containerd-28.2', removals: 8, measureBeside: true },
  { engine: 'dockerd 29.1, overlay2 (graph driver)', version: '29.1.0', containerdStore: false, kind: 'graphdriver', removals: 8, measureBeside: false },
  { engine: 'an unreadable version on the containerd store: taken as older', version: 'dev', containerdStore: true, kind: 'containerd', removals: 8, measureBeside: false },
];

describe('store tuning', () => {
  for (const c of CASES) {
    it(`${c.engine}: ${c.kind}, ${c.removals} removals in flight, system df ${c.measureBeside ? 'beside the snapshot' : 'after the plan'}`, () => {
      const engine = { version: c.version, containerdStore: c.containerdStore };
      assert.equal(storeKind(engine), c.kind);
      assert.equal(tuningFor(engine).removalConcurrency, c.removals);
      assert.equal(tuningFor(engine).measureBesideSnapshot, c.measureBeside);
    });
  }
});
