import type { StepOf } from '../run';
import { stoppedContainers } from './containers';
import { images } from './images';
import { buildCache } from './build-cache';
import { volumes } from './volumes';
import { networks } from './networks';

/**
 * The kinds of disk use a run handles, in the one order they choose and apply:
 * containers first (their images and volumes are then unused), images, then what the
 * images held (build cache), then volumes and builder leftovers, then networks.
 * A new kind is a step module and one entry here; the use case does not change.
 */
export const ROW: readonly StepOf[] = [stoppedContainers, images, buildCache, volumes, networks];
