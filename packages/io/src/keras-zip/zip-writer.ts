import { zipSync } from 'fflate';

/**
 * Writes a zip archive with its members stored uncompressed, in the given order, as Keras does
 * (metadata.json, config.json, model.weights.h5).
 */
export function writeZip(members: [name: string, data: Uint8Array][], mtime: Date = new Date()): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0; mtime: Date }]> = {};
  for (const [name, data] of members) files[name] = [data, { level: 0, mtime }];
  return zipSync(files);
}
