import { strict as assert } from 'node:assert';
import { fullImageId, idHasPrefix, idHex, isCanonicalImageId, prefixedImageId, sameImageId, shortImageId } from '../../../src/domain/image-id';

const HEX = 'ab'.repeat(32);

describe('image IDs in every form the engines use (src/domain/image-id.ts)', () => {
  const cases: { name: string; got: unknown; want: unknown }[] = [
    { name: 'idHex strips the prefix', got: idHex(`sha256:${HEX}`), want: HEX },
    { name: 'idHex leaves bare hex alone', got: idHex(HEX), want: HEX },
    { name: 'fullImageId adds the prefix to bare hex (Podman)', got: fullImageId(HEX), want: `sha256:${HEX}` },
    { name: 'fullImageId keeps a prefixed ID', got: fullImageId(`sha256:${HEX}`), want: `sha256:${HEX}` },
    { name: 'fullImageId: a short ID is not a full one', got: fullImageId(HEX.slice(0, 12)), want: undefined },
    { name: 'fullImageId: a reference is not an ID', got: fullImageId('node:20'), want: undefined },
    { name: 'fullImageId: empty', got: fullImageId(''), want: undefined },
    { name: 'prefixedImageId: an engine Deleted entry in either form', got: [prefixedImageId(HEX), prefixedImageId(`sha256:${HEX}`)], want: [`sha256:${HEX}`, `sha256:${HEX}`] },
    { name: 'canonical only with the prefix', got: [isCanonicalImageId(`sha256:${HEX}`), isCanonicalImageId(HEX), isCanonicalImageId('sha256:abc')], want: [true, false, false] },
    { name: 'sameImageId across forms', got: [sameImageId(HEX, `sha256:${HEX}`), sameImageId(HEX, 'cd'.repeat(32))], want: [true, false] },
    { name: 'idHasPrefix with a typed short ID', got: [idHasPrefix(`sha256:${HEX}`, 'abab'), idHasPrefix(`sha256:${HEX}`, 'cd')], want: [true, false] },
    { name: 'shortImageId as docker images shows it', got: shortImageId(`sha256:${HEX}`), want: HEX.slice(0, 12) },
  ];
  for (const [i, c] of cases.entries()) it(`${i + 1}. ${c.name}`, () => assert.deepEqual(c.got, c.want));
});
