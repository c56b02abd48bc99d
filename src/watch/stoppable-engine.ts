import { NOT_STARTED_NOTE } from '../app/apply';
import type { EnginePort } from '../engine/port';
import { isCanonicalImageId } from '../domain/image-id';

/** Marks work not started because the cleaner is shutting down. */
export const SHUTDOWN_NOTE = NOT_STARTED_NOTE;

export class ShutdownError extends Error {
  constructor() {
    super(SHUTDOWN_NOTE);
    this.name = 'ShutdownError';
  }
}

/**
 * The engine as one watch cycle sees it: once `signal` aborts, no new image
 * removal starts, while one in flight finishes all its steps (its references
 * untagged, then the image deleted). The safe removal loop begins every image
 * with a re-check by image ID; after the signal, a re-check of an image not
 * yet begun throws ShutdownError, which the loop reports for that image
 * without touching it (the removal loop also checks the signal itself, as it
 * re-checks one image ahead). A new snapshot is refused too. Everything else passes
 * through, optional maintenance methods included.
 */
export function stoppableEngine(engine: EnginePort, signal: AbortSignal): EnginePort {
  const begun = new Set<string>();
  return new Proxy(engine, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'snapshot') {
        return (...args: unknown[]) => (signal.aborted ? Promise.reject(new ShutdownError()) : value.apply(target, args));
      }
      if (property === 'inspectImage') {
        return (name: string) => {
          if (isCanonicalImageId(name)) {
            if (signal.aborted && !begun.has(name)) return Promise.reject(new ShutdownError());
            begun.add(name);
          }
          return value.call(target, name);
        };
      }
      if (property === 'removeContainer') {
        return (id: string) => (signal.aborted ? Promise.reject(new ShutdownError()) : value.call(target, id));
      }
      return value.bind(target);
    },
  });
}
