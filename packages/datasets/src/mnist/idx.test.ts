import { describe, expect, it } from 'vitest';

import { encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from './idx.js';

describe('parseIdx / encodeIdx', () => {
  it('writes the big-endian header by hand-checked bytes and reads it back', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
    const bytes = encodeIdx([2, 3, 4], data);
    // 0x00000803 = 2051, then 2, 3, 4 as big-endian uint32s.
    expect(Array.from(bytes.subarray(0, 16))).toEqual([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
    const parsed = parseIdx(bytes, { source: 'x', magic: IDX_IMAGES_MAGIC });
    expect(parsed.dims).toEqual([2, 3, 4]);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
  });

  it('reads a dimension larger than 65535 (all four header bytes count)', () => {
    const n = 70000; // 0x00011170
    const bytes = encodeIdx([n], new Uint8Array(n));
    expect(Array.from(bytes.subarray(4, 8))).toEqual([0, 1, 0x11, 0x70]);
    expect(parseIdx(bytes, { source: 'x', magic: IDX_LABELS_MAGIC }).dims).toEqual([n]);
  });

  it('reads at an offset inside a larger buffer when trailing bytes are allowed', () => {
    const a = encodeIdx([3], Uint8Array.from([1, 2, 3]));
    const b = encodeIdx([2], Uint8Array.from([4, 5]));
    const both = new Uint8Array(a.length + b.length);
    both.set(a);
    both.set(b, a.length);
    const first = parseIdx(both, { source: 'pack', magic: IDX_LABELS_MAGIC, allowTrailing: true });
    expect(first.end).toBe(a.length);
    const second = parseIdx(both, { source: 'pack', magic: IDX_LABELS_MAGIC, offset: first.end });
    expect(Array.from(second.data)).toEqual([4, 5]);
    expect(() => parseIdx(both, { source: 'pack', magic: IDX_LABELS_MAGIC })).toThrow(
      'pack has 10 unexpected bytes after the 3 bytes of data its header declares (dimensions 3).',
    );
  });

  it('names the source and the problem for bad magic, short headers and truncated data', () => {
    const labels = encodeIdx([5], new Uint8Array(5));
    expect(() => parseIdx(labels, { source: 'f.idx', magic: IDX_IMAGES_MAGIC })).toThrow(
      'f.idx is not the expected IDX file: its magic number is 2049 (0x00000801), expected 2051',
    );
    expect(() => parseIdx(new Uint8Array(2), { source: 'f.idx', magic: IDX_LABELS_MAGIC })).toThrow(
      'f.idx is truncated: expected an IDX header of at least 4 bytes, but the data has 2 bytes.',
    );
    const images = encodeIdx([1, 2, 2], new Uint8Array(4));
    expect(() => parseIdx(images.subarray(0, 10), { source: 'f.idx', magic: IDX_IMAGES_MAGIC })).toThrow(
      'f.idx is truncated: its 3-dimensional IDX header needs 16 bytes, but the data has 10.',
    );
    expect(() => parseIdx(images.subarray(0, 18), { source: 'f.idx', magic: IDX_IMAGES_MAGIC })).toThrow(
      'f.idx is truncated: its header declares dimensions 1 x 2 x 2 (4 bytes of data after the 16-byte header), but only 2 bytes follow.',
    );
  });

  it('rejects data that does not fit the dimensions it is written with', () => {
    expect(() => encodeIdx([2, 2], new Uint8Array(3))).toThrow(
      'encodeIdx expects 4 values for dimensions [2, 2]. Received: 3 values',
    );
    expect(() => encodeIdx([-1], new Uint8Array(0))).toThrow('Received: dims=[-1]');
  });
});
