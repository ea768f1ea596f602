/** The container formats Strata reads, told apart by their first bytes (never by the file extension). */
export type FileFormat = 'zip' | 'hdf5' | 'json' | 'unknown';

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Sniffs magic bytes: `PK\x03\x04` is a zip (.keras), `\x89HDF\r\n\x1a\n` is HDF5, `{` is JSON (model.json). */
export function sniffFormat(bytes: Uint8Array): FileFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    return 'zip';
  if (bytes.length >= 8 && HDF5_MAGIC.every((b, i) => bytes[i] === b)) return 'hdf5';
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)
  )
    i++;
  if (bytes[i] === 0x7b) return 'json';
  return 'unknown';
}

export function describeMagic(bytes: Uint8Array): string {
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length === 0 ? 'an empty file' : `a file starting with bytes ${head}`;
}
