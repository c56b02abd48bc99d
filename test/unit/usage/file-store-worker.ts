/**
 * Child process for the file-store test: `node file-store-worker.js PATH NAME COUNT`
 * adds COUNT images named NAME-<n> to the record at PATH, one update each.
 */
import { FileUsageStore } from '../../../src/usage/file-store';

async function main(): Promise<void> {
  const [file, name, count] = process.argv.slice(2) as [string, string, string];
  const store = new FileUsageStore(file);
  for (let n = 0; n < Number(count); n++) {
    await store.update((current) => ({
      ...current,
      updatedAt: Date.now(),
      images: { ...current.images, [`${name}-${n}`]: { firstSeen: n, lastUsed: n, why: 'pulled', references: [], layersKey: '' } },
    }));
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
