// One planner measurement in a fresh process, so peak RSS is this size's alone.
import { plan } from '../src/planner/planner';
import { parseSettings } from '../src/settings/parse';
import { syntheticSnapshot } from './synthetic';

const images = Number(process.argv[2] ?? '0');
const now = Date.now();
const snapshot = syntheticSnapshot(images, now);
const settings = parseSettings({ keep: 2, 'min-age': '1h', protect: 'base0:*' });
const start = process.hrtime.bigint();
const result = images > 0 ? plan({ snapshot, settings, now }) : undefined;
const ms = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(JSON.stringify({ images, ms, peakRssMb: process.resourceUsage().maxRSS / 1024, removals: result?.decisions.filter((d) => d.action === 'remove').length ?? 0 }) + '\n');
