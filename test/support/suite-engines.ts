/**
 * Which engines each real-engine suite runs on: the one place that says it. Suites take
 * their engines from `enginesOf`, so an engine added to ENGINES runs every suite that does
 * not leave its store out with a reason; test/unit/suite-engines.test.ts loads every suite
 * (mocha --dry-run) and fails when a suite's tests do not name exactly these engines, when a
 * case is registered on some of them only without a reason here, and when the docs' table
 * (docs/engines.md, rendered by `suiteTable`) says otherwise.
 */
import { ENGINES, type EngineUnderTest } from './engine';

export type Store = EngineUnderTest['store'];

/** How the docs name each store (engine names carry versions that come from the environment). */
export const STORE_LABEL: Record<Store, string> = {
  graphdriver: 'dockerd 20.10 (graph driver)',
  containerd: 'dockerd on the containerd store',
  podman: 'Podman',
};

/** A case registered on some of its suite's engines only. */
export interface PartialCase {
  /** Part of the case's title (its full title less the engine's name). */
  title: string;
  /** The stores it runs on. */
  stores: Store[];
  why: string;
}

export interface SuiteEngines {
  /** The stores the suite leaves out, each with why; every other engine in ENGINES runs it. */
  leavesOut?: Partial<Record<Store, string>>;
  partial?: PartialCase[];
}

const TRANSPORT = 'a transport or front test: it checks how the tool reaches an engine or how a front maps inputs and results, which is the same code whatever stores the images; the stores are covered by the suites above';
const FRONT = 'a front test: the front maps inputs to the one core and its outcome to the platform, the same code on every store; the stores are covered by the core suites above';
const NO_START = "Podman's service here cannot start containers";
const ONE_ENGINE = (why: string) => ({ containerd: why, podman: why });

/** Every real-engine suite, by its file under test/ (without .test.ts). */
export const SUITES = {
  'engine/cleanup': {},
  'engine/factory': {
    partial: [
      { title: 'a container from the busybox base runs', stores: ['graphdriver', 'containerd'], why: `${NO_START}` },
      { title: 'a container can be created from a loaded image (by tag and by ID)', stores: ['podman'], why: 'what Podman shows instead of a running container' },
    ],
  },
  'engine/fleet': {
    partial: [
      { title: '1. builds the cleaner image from the Dockerfile, runs it', stores: ['graphdriver', 'containerd'], why: `the cleaner runs as a container: ${NO_START}` },
      { title: '1b. the image: `docker run --rm IMAGE --version`', stores: ['graphdriver', 'containerd'], why: `the image is run: ${NO_START}` },
      { title: '5. every kind in one cycle', stores: ['graphdriver', 'containerd'], why: 'Podman has no build-cache endpoint and cannot start the builder container the case leaves behind' },
    ],
  },
  'engine/pressure': {},
  'engine/state-damage': {
    partial: [
      { title: 'defect 9:', stores: ['graphdriver', 'containerd'], why: "Podman keeps its events in a log: there is no 256-event buffer to push an event out of" },
    ],
  },
  'engine/usage': {},
  'engine/networks': {},
  'engine/what-if': {},
  'engine/named-mid-delete': {},
  'engine/runner-hook': {
    partial: [
      { title: '4. an engine that does not answer', stores: ['graphdriver', 'containerd'], why: "the case pauses the engine through dockerd's pid file; Podman's service has none here" },
    ],
  },
  'engine/incidents': {
    partial: [
      {
        title: 'an incident:',
        stores: ['graphdriver', 'containerd'],
        why: "Podman's forced delete removes the containers of the image too, so no engine state there shows a container on a deleted image",
      },
    ],
  },
  'engine/faults': {
    partial: [
      {
        title: 'during the removals',
        stores: ['graphdriver', 'containerd'],
        why: "the races and the event watch's false-alarm case are driven by the engine's event stream; run on Podman 4.3 (2026-12-07) they failed there (its events come in whole seconds) and are not yet made to hold; the run lock case runs there",
      },
      {
        title: 'classic-builder parent chains',
        stores: ['graphdriver'],
        why: 'the classic builder makes parent images on the graph driver only; the containerd store and Podman keep no parent chain',
      },
    ],
  },
  'engine/usage-flow': {
    leavesOut: { podman: `its cases start containers (runContainer) to mark images used: ${NO_START}` },
  },
  'engine/prune-filters': {
    partial: [
      { title: 'keeps an image created after `until`', stores: ['graphdriver'], why: "one case, its outcome by store: the graph driver's `until` reads the image's creation time" },
      { title: 'removes an image created after `until`', stores: ['containerd'], why: "one case, its outcome by store: the containerd store's `until` reads when the name was made" },
    ],
    leavesOut: { podman: "the suite measures dockerd's own POST /images/prune filters (until, label) that the tool does not use; Podman's prune is another implementation" },
  },
  'engine/removal-safety': {
    leavesOut: { podman: 'its cases start containers (a running container is in use for the conflict check), which Podman\'s service here cannot' },
  },
  'engine/maintenance': {
    partial: [
      { title: '<engine>: containers run', stores: ['graphdriver', 'containerd'], why: `the cases start containers and builds: ${NO_START}, and it has no build-cache endpoint` },
      { title: '<engine>: containers created, not started', stores: ['podman'], why: "Podman's own cases: the build-cache skip note, created containers" },
    ],
  },
  'engine/volumes': {
    partial: [
      { title: '<engine>: containers run', stores: ['graphdriver', 'containerd'], why: `the cases start containers that write to their volumes: ${NO_START}` },
      { title: '<engine>: containers created, not started', stores: ['podman'], why: "Podman's own case: created containers hold their volumes" },
    ],
  },
  'engine/budget': {
    leavesOut: {
      containerd: 'its BuildKit builds upload their context, which dockerd 26.1 on the containerd store cannot read without a session (maintenance.test.ts builds there from a loopback context); not yet ported',
      podman: 'Podman has no build-cache endpoint, and the suite is about one budget over images and build cache',
    },
  },
  'engine/operator': { leavesOut: ONE_ENGINE(TRANSPORT) },
  'engine/contexts': { leavesOut: ONE_ENGINE(TRANSPORT) },
  'engine/ssh': { leavesOut: ONE_ENGINE(TRANSPORT) },
  'engine/tls': { leavesOut: ONE_ENGINE(`${TRANSPORT}; it starts its own dockerd 20.10 with --tlsverify`) },
  'action/action': { leavesOut: ONE_ENGINE(FRONT) },
  'action/local-action': { leavesOut: ONE_ENGINE(FRONT) },
  'azure/task': { leavesOut: ONE_ENGINE(FRONT) },
  'package/npm-package': { leavesOut: ONE_ENGINE('a packaging test: the tarball installs and its CLI reaches an engine; the stores are covered by the core suites') },
  'readme-commands/readme': { leavesOut: ONE_ENGINE('the README\'s commands are copy-pasted as written: one engine shows they run; the stores are covered by the core suites') },
} satisfies Record<string, SuiteEngines>;

export type SuiteName = keyof typeof SUITES;

/** The engines `suite` runs on, in ENGINES' order. */
export function enginesOf(suite: SuiteName): EngineUnderTest[] {
  const plan: SuiteEngines = SUITES[suite];
  return ENGINES.filter((e) => !plan.leavesOut?.[e.store]);
}

/** The one engine of a suite that runs on one (a transport or front test). */
export function engineOf(suite: SuiteName): EngineUnderTest {
  const engines = enginesOf(suite);
  if (engines.length !== 1) throw new Error(`${suite} runs on ${engines.length} engines: loop over enginesOf('${suite}')`);
  return engines[0]!;
}

/** The Markdown table the docs show (docs/engines.md), rendered from SUITES. */
export function suiteTable(): string {
  const stores = [...new Set(ENGINES.map((e) => e.store))];
  const rows = Object.entries(SUITES).map(([suite, plan]: [string, SuiteEngines]) => {
    const runs = stores.filter((s) => !plan.leavesOut?.[s]);
    const out = stores.filter((s) => plan.leavesOut?.[s]);
    const why = [...new Set(out.map((s) => plan.leavesOut![s]!))];
    const leftOut = out.length === 0 ? '' : `${out.map((s) => STORE_LABEL[s]).join(', ')}: ${why.join('; ')}`;
    const partial = (plan.partial ?? []).map((p) => `"${p.title}" on ${p.stores.map((s) => STORE_LABEL[s]).join(', ')} only: ${p.why}`);
    return `| \`test/${suite}.test.ts\` | ${out.length === 0 ? 'every engine' : runs.map((s) => STORE_LABEL[s]).join(', ')} | ${[leftOut, ...partial].filter(Boolean).join('. ') || '—'} |`;
  });
  return ['| Suite | Runs on | Left out, and why |', '|---|---|---|', ...rows].join('\n');
}
