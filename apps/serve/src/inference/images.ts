import { badInput, ErrorCode, TrainyardError } from '@trainyard/common';
import sharp from 'sharp';

/**
 * Decodes an encoded image (PNG, JPEG, WebP, GIF...) into one raw sample of the dataset's shape
 * [h, w, c] with its stored pixel values (0-255): resized to h x w, grey for c = 1, RGB for c = 3,
 * RGBA for c = 4. The experiment's own map ops run afterwards, as for any raw sample. The pixel
 * limit is checked from the header, before anything is decoded.
 */
export async function decodeImage(bytes: Buffer, rawShape: [number, number, number], maxPixels: number, where = 'image'): Promise<Float32Array> {
  const [h, w, c] = rawShape;
  if (bytes.length === 0) throw badInput(`${where} is empty`);
  if (c !== 1 && c !== 3 && c !== 4) throw badInput(`${where}: this model takes ${c}-channel samples, which images cannot give`);
  let pixels: Buffer;
  try {
    let img = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true }).resize(w, h, { fit: 'fill' });
    img = c === 1 ? img.toColourspace('b-w') : c === 3 ? img.removeAlpha().toColourspace('srgb') : img.ensureAlpha();
    const out = await img.raw().toBuffer({ resolveWithObject: true });
    if (out.info.channels !== c) throw new Error(`decoded ${out.info.channels} channels, expected ${c}`);
    pixels = out.data;
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    if (/pixel limit/i.test(message)) {
      throw new TrainyardError(ErrorCode.PAYLOAD_TOO_LARGE, `${where} has more than ${maxPixels} pixels`, { maxPixels });
    }
    throw badInput(`${where} could not be decoded as an image (${message.slice(0, 80)})`);
  }
  const sample = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) sample[i] = pixels[i];
  return sample;
}

/** busboy (multer's parser, already installed with @nestjs/platform-express) ships no types. */
interface Busboy {
  on(event: 'file', fn: (field: string, stream: NodeJS.ReadableStream) => void): this;
  on(event: 'filesLimit' | 'close', fn: () => void): this;
  on(event: 'error', fn: (e: unknown) => void): this;
  end(chunk: Buffer): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const busboy = require('busboy') as (opts: { headers: Record<string, string>; limits: { files: number; fields: number } }) => Busboy;

/** The file parts of a multipart/form-data body, in order (each one image). */
export function multipartFiles(body: Buffer, contentType: string, maxFiles: number): Promise<Array<{ field: string; bytes: Buffer }>> {
  return new Promise((resolve, reject) => {
    const files: Array<{ field: string; bytes: Buffer }> = [];
    let bb: Busboy;
    try {
      bb = busboy({ headers: { 'content-type': contentType }, limits: { files: maxFiles, fields: 16 } });
    } catch (e) {
      reject(badInput(`malformed multipart body (${(e as Error).message.slice(0, 80)})`));
      return;
    }
    bb.on('file', (field, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => files.push({ field, bytes: Buffer.concat(chunks) }));
    });
    bb.on('filesLimit', () => reject(badInput(`at most ${maxFiles} images per request`)));
    bb.on('error', (e) => reject(badInput(`malformed multipart body (${(e as Error).message.slice(0, 80)})`)));
    bb.on('close', () => (files.length === 0 ? reject(badInput('the multipart body has no file part; send the image as a file field')) : resolve(files)));
    bb.end(body);
  });
}

/** Base64 (standard or URL-safe) to bytes, refusing what is not base64. */
export function fromBase64(value: string, where: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value.replace(/\s+/g, ''))) {
    throw badInput(`${where} must be a base64 string`);
  }
  return Buffer.from(value, 'base64');
}
