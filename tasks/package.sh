#!/usr/bin/env bash
# Packages the Azure DevOps extension (vss-extension.json -> .vsix) offline and checks
# that the package holds what the agent needs: every task.json, every handler target
# it names (the bundles), the task icon and the extension icon.
#
#   node tasks/build.mjs && bash tasks/package.sh [OUTPUT_DIR]     (default: vsix/)
#
# MARKETPLACE_PUBLISHER is the one place the Marketplace publisher is set (the release
# workflow reads it from the repository variable of that name); without it the package
# carries vss-extension.json's placeholder publisher, fine for a private test upload.
#
# Needs only Node and tfx-cli from node_modules (no unzip: the zip is read with Node).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mkdir -p "${1:-$root/vsix}" && cd "${1:-$root/vsix}" && pwd)
cd "$root"

for target in main pre post; do
  if [ ! -f "tasks/DockerImageCleanupV1/dist/$target.js" ]; then
    echo "package: tasks/DockerImageCleanupV1/dist/$target.js is missing; run 'node tasks/build.mjs' first" >&2
    exit 1
  fi
done

# tfx reads the manifest and writes the zip; nothing here talks to the Marketplace.
rm -f "$out"/*.vsix
npx --no-install tfx extension create --root "$root" --manifest-globs vss-extension.json \
  --output-path "$out" --no-prompt --json ${MARKETPLACE_PUBLISHER:+--publisher "$MARKETPLACE_PUBLISHER"} >"$out/tfx-create.json"
vsix=$(ls "$out"/*.vsix)
echo "package: $vsix"

node - "$vsix" <<'NODE'
// List a zip's entries from its central directory and read the few we check (deflate or stored).
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const file = process.argv[2];
const zip = fs.readFileSync(file);
const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
if (eocd < 0) throw new Error(`${file} is not a zip`);
const entries = new Map();
let at = zip.readUInt32LE(eocd + 16);
for (let i = zip.readUInt16LE(eocd + 10); i > 0; i--) {
  if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory');
  const [method, compressed, size, nameLen, extraLen, commentLen, local] = [
    zip.readUInt16LE(at + 10), zip.readUInt32LE(at + 20), zip.readUInt32LE(at + 24), zip.readUInt16LE(at + 28),
    zip.readUInt16LE(at + 30), zip.readUInt16LE(at + 32), zip.readUInt32LE(at + 42),
  ];
  entries.set(zip.toString('utf8', at + 46, at + 46 + nameLen), { method, compressed, size, local });
  at += 46 + nameLen + extraLen + commentLen;
}
/** An entry's bytes: the central directory has the sizes, the local header the data offset. */
const read = (name) => {
  const e = entries.get(name);
  const start = e.local + 30 + zip.readUInt16LE(e.local + 26) + zip.readUInt16LE(e.local + 28);
  const data = zip.subarray(start, start + e.compressed);
  return e.method === 8 ? zlib.inflateRawSync(data) : data;
};

const problems = [];
const need = (name) => entries.has(name) || problems.push(`missing ${name}`);
const manifest = read('extension.vsixmanifest').toString('utf8');
const icon = /<Icon>([^<]+)<\/Icon>/.exec(manifest);
if (!icon) problems.push('extension.vsixmanifest names no icon');
else need(icon[1]);
const publisher = /<Identity [^>]*Publisher="([^"]+)"/.exec(manifest);
console.log(`package: publisher ${publisher ? publisher[1] : '(none)'}`);
if (!publisher) problems.push('extension.vsixmanifest names no publisher');
const licence = /<License>([^<]+)<\/License>/.exec(manifest);
if (!licence) problems.push('extension.vsixmanifest names no licence');
else need(licence[1]);
const details = /Type="Microsoft\.VisualStudio\.Services\.Content\.Details"[^>]*Path="([^"]+)"/.exec(manifest);
if (!details) problems.push('extension.vsixmanifest has no overview (content.details)');
else need(details[1]);
const tasks = [...entries.keys()].filter((n) => /(^|\/)task\.json$/.test(n));
if (tasks.length === 0) problems.push('no task.json');
for (const taskJson of tasks) {
  const dir = taskJson.replace(/task\.json$/, '');
  const task = JSON.parse(read(taskJson).toString('utf8'));
  need(`${dir}icon.png`);
  for (const section of ['execution', 'prejobexecution', 'postjobexecution']) {
    for (const [handler, { target }] of Object.entries(task[section] ?? {})) {
      const name = `${dir}${target}`;
      if (!entries.has(name)) {
        problems.push(`missing ${name}`);
        continue;
      }
      // A target starts its step of the task's one bundle, which it loads from beside itself.
      const source = read(name).toString('utf8');
      const loads = [...source.matchAll(/require\("\.\/([^"]+)"\)/g)].map((m) => dir + path.posix.join(path.posix.dirname(target), m[1]));
      if (loads.length === 0 && source.length < 1000) problems.push(`${name} (${handler}) is empty`);
      for (const bundle of loads) {
        if (!entries.has(bundle)) problems.push(`missing ${bundle}, which ${name} (${handler}) loads`);
        else if (read(bundle).length < 1000) problems.push(`${bundle}, which ${name} (${handler}) loads, is empty`);
      }
    }
  }
  const v = task.version;
  console.log(`package: ${dir}task.json ${task.name}@${v.Major}.${v.Minor}.${v.Patch} (${task.id})`);
}
const unwanted = [...entries.keys()].filter((n) => /\/src\/|\.ts$|node_modules\//.test(n));
if (unwanted.length) problems.push(`sources or node_modules in the package: ${unwanted.slice(0, 5).join(', ')}`);
for (const name of [...entries.keys()].sort()) console.log(`  ${String(entries.get(name).size).padStart(9)}  ${name}`);
if (problems.length) {
  console.error(`package: ${file} is incomplete:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`package: ok, ${entries.size} files`);
NODE
