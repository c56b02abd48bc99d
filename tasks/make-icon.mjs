#!/usr/bin/env node
// Draws the task icon (tasks/DockerImageCleanupV1/icon.png, 32x32) and the Marketplace
// extension icon (images/icon.png, 128x128) without any image library: a few shapes,
// 4x4 supersampling, and a PNG encoder on node:zlib. Not part of the shipped task.
//
//   node tasks/make-icon.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Shapes in a 0..1 square, painted in order: [x0, y0, x1, y1, corner radius, rgba].
const BLUE = [29, 99, 237, 255];
const WHITE = [255, 255, 255, 255];
const GHOST = [255, 255, 255, 80];
const box = (col, row, color) => {
  const [w, gap, left, bottom] = [0.2, 0.06, 0.17, 0.76];
  const x = left + col * (w + gap);
  const y = bottom - (row + 1) * w - row * gap;
  return [x, y, x + w, y + w, 0.03, color];
};
const SHAPES = [
  [0, 0, 1, 1, 0.18, BLUE],
  box(0, 0, WHITE),
  box(1, 0, WHITE),
  box(2, 0, WHITE),
  box(0, 1, WHITE),
  box(1, 1, WHITE),
  box(2, 1, GHOST), // the image the cleanup removed
];

function inside([x0, y0, x1, y1, r], x, y) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function render(size) {
  const ss = 4;
  const rows = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0 + RGBA
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const [x, y] = [(px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size];
          let rgba = [0, 0, 0, 0];
          for (const shape of SHAPES) if (inside(shape, x, y)) rgba = over(shape[5], rgba);
          // premultiplied accumulation
          for (let c = 0; c < 3; c++) acc[c] += (rgba[c] * rgba[3]) / 255;
          acc[3] += rgba[3];
        }
      }
      const n = ss * ss;
      const a = acc[3] / n;
      const out = a === 0 ? [0, 0, 0, 0] : [0, 1, 2].map((c) => (acc[c] / n / a) * 255).concat(a);
      out.forEach((v, c) => (row[1 + px * 4 + c] = Math.round(Math.min(255, Math.max(0, v)))));
    }
    rows.push(row);
  }
  return png(size, size, Buffer.concat(rows));
}

/** Source-over compositing of straight-alpha colours. */
function over(src, dst) {
  const sa = src[3] / 255;
  const da = dst[3] / 255;
  const a = sa + da * (1 - sa);
  if (a === 0) return [0, 0, 0, 0];
  return [0, 1, 2].map((c) => (src[c] * sa + dst[c] * da * (1 - sa)) / a).concat(a * 255);
}

function png(width, height, raw) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(buf) {
  let crc = ~0;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

for (const [file, size] of [
  ['tasks/DockerImageCleanupV1/icon.png', 32],
  ['images/icon.png', 128],
]) {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), render(size));
  console.log(`icon: ${file} ${size}x${size}`);
}
