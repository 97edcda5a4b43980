/**
 * Plugin tarballs, read in one streaming pass (issue 16): the gzip stream is
 * decompressed as it is parsed, so memory stays at a chunk or two whatever the
 * tarball expands to, and the work is linear in what the limits let through.
 * A tarball holds only plain files and folders under one top-level folder: no
 * `..`, absolute paths, links (nor pax or GNU link paths), devices, set-uid or
 * set-gid bits (a file unpacks 0755 when any execute bit is set, else 0644;
 * folders 0755), no data after the end-of-archive marker, and nothing named as
 * a file the plugin cache writes beside the plugin. inspectTarball reads it
 * through without writing (the registry, before it accepts a publish);
 * unpackTarball writes it into the caller's empty folder during the same pass,
 * so a refused tarball can leave files there, and the caller removes the
 * folder (the cache unpacks into a temporary one).
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { KadendeError, kadendeError } from '../errors/index.js';

export interface UnpackLimits {
  /** Sum of the unpacked file sizes. */
  maxBytes: number;
  maxFiles: number;
}

export const DEFAULT_UNPACK_LIMITS: UnpackLimits = { maxBytes: 256 * 1024 * 1024, maxFiles: 5000 };

/** The file the plugin cache writes into each plugin's folder: a tarball may not hold anything by that name. */
export const PLUGIN_CACHE_META = '.kadende-cache.json';

/** A file or folder of the tarball; `path` is relative to its top-level folder. */
export interface TarballEntry {
  path: string;
  type: 'File' | 'Directory';
  /** 0o755 or 0o644 for a file, 0o755 for a folder: never more. */
  mode: number;
  size: number;
}

export interface TarballSummary {
  files: number;
  bytes: number;
  /** Every file's path, relative to the top-level folder. */
  paths: Set<string>;
}

const BLOCK = 512;
/** A pax header or GNU long name, each; and all of them together. */
const MAX_META_BYTES = 64 * 1024;
const MAX_META_TOTAL = 4 * 1024 * 1024;
/** Zero padding after the end-of-archive marker (tar pads to its record size, 10 KiB by default). */
const MAX_TRAILING_ZEROS = 1024 * 1024;
const MAX_PATH_LENGTH = 4096;

const unsafe = (where: string, why: string) => kadendeError('KADENDE_ERR_TARBALL_UNSAFE', `${where}: refused: ${why}`);

/** Why an entry's path is unsafe, or undefined. */
function pathProblem(path: string): string | undefined {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return `absolute path "${path}"`;
  if (path.includes('\\')) return `backslash in path "${path}"`;
  if (path.split('/').includes('..')) return `".." in path "${path}"`;
  if (path.includes('\0')) return 'NUL in a path';
  if (path.length > MAX_PATH_LENGTH) return `a path longer than ${MAX_PATH_LENGTH} characters`;
  if (path.replace(/\/$/, '').split('/').some((part) => part === '' || part === '.')) return `an empty or "." component in path "${path}"`;
  return undefined;
}

const TYPE_NAMES: Record<string, string> = {
  '1': 'hard link',
  '2': 'symbolic link',
  '3': 'character device',
  '4': 'block device',
  '6': 'FIFO',
  '7': 'contiguous file',
  K: 'GNU long link name',
};

/** Pulls the decompressed stream, counting every byte against a cap, and hands it out by the byte. */
class Reader {
  private readonly chunks: Buffer[] = [];
  private offset = 0;
  private buffered = 0;
  total = 0;

  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly cap: number,
    private readonly fail: (why: string) => KadendeError,
  ) {}

  /** One more chunk; false at the end of the stream. */
  async pull(): Promise<boolean> {
    let next: IteratorResult<Buffer>;
    try {
      next = await this.source.next();
    } catch (error) {
      throw this.fail(`not a valid gzip tarball: ${(error as Error).message}`);
    }
    if (next.done) return false;
    const chunk = next.value;
    this.total += chunk.length;
    if (this.total > this.cap) throw this.fail(`it decompresses to more than ${this.cap} bytes`);
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }

  /** Exactly n bytes; undefined when the stream ended before the first of them. */
  async take(n: number): Promise<Buffer | undefined> {
    while (this.buffered < n) {
      if (!(await this.pull())) {
        if (this.buffered === 0) return undefined;
        throw this.fail('the tarball is truncated');
      }
    }
    return this.consume(n);
  }

  /** n bytes in pieces, as they arrive. */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.pull())) throw this.fail('the tarball is truncated');
      if (this.buffered === 0) continue;
      const piece = this.consume(Math.min(left, this.chunks[0]!.length - this.offset));
      left -= piece.length;
      yield piece;
    }
  }

  /** Whatever is left, checked to be zeros. */
  async onlyZerosLeft(): Promise<boolean> {
    let zeros = 0;
    for (;;) {
      for (const chunk of this.chunks.splice(0)) {
        const rest = chunk.subarray(this.offset);
        this.offset = 0;
        zeros += rest.length;
        if (rest.some((byte) => byte !== 0) || zeros > MAX_TRAILING_ZEROS) return false;
      }
      this.buffered = 0;
      if (!(await this.pull())) return true;
    }
  }

  private consume(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = this.chunks[0]!;
      const k = Math.min(head.length - this.offset, need);
      parts.push(head.subarray(this.offset, this.offset + k));
      this.offset += k;
      need -= k;
      this.buffered -= k;
      if (this.offset === head.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

const cString = (block: Buffer, start: number, length: number): string => {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
};

/** An octal field; undefined when it is not one (base-256 included: no plugin needs 8 GB). */
const octal = (block: Buffer, start: number, length: number): number | undefined => {
  const text = block.subarray(start, start + length).toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  return /^[0-7]*$/.test(text) ? (text === '' ? 0 : parseInt(text, 8)) : undefined;
};

/** `len key=value\n` records; throws on a malformed one. */
function paxRecords(body: Buffer, fail: (why: string) => KadendeError): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < body.length) {
    if (body[at] === 0) break;
    const space = body.indexOf(0x20, at);
    const length = space > at ? Number(body.subarray(at, space).toString('latin1')) : NaN;
    if (!Number.isInteger(length) || length <= space - at || at + length > body.length || body[at + length - 1] !== 0x0a) throw fail('a malformed pax header');
    const record = body.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq <= 0) throw fail('a malformed pax header');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

/**
 * Reads a tarball (gzip or plain) through once, checking every header and
 * calling `onEntry` for each file and folder with its body (a file's bytes as
 * they are decompressed; whatever `onEntry` leaves unread is skipped).
 */
export async function scanTarball(
  bytes: Uint8Array,
  where: string,
  limits: UnpackLimits = DEFAULT_UNPACK_LIMITS,
  onEntry: (entry: TarballEntry, body: AsyncIterable<Buffer>) => Promise<void> = async () => {},
): Promise<TarballSummary> {
  const fail = (why: string) => unsafe(where, why);
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const gzipped = input.length >= 2 && input[0] === 0x1f && input[1] === 0x8b;
  const gunzip = gzipped ? createGunzip() : undefined;
  const source: AsyncIterator<Buffer> = gunzip ? gunzip[Symbol.asyncIterator]() : [input][Symbol.iterator]() as unknown as AsyncIterator<Buffer>;
  gunzip?.end(input);
  // Files, folders and their pax headers or long names.
  const maxHeaders = limits.maxFiles * 4;
  // Everything the checks below let through, and no more: files, a header and padding per entry, metadata.
  const cap = limits.maxBytes + (maxHeaders + 2) * 2 * BLOCK + MAX_META_TOTAL + MAX_TRAILING_ZEROS;
  const reader = new Reader(source, cap, fail);
  const summary: TarballSummary = { files: 0, bytes: 0, paths: new Set() };
  const folders = new Set<string>();
  let headers = 0;
  let metaTotal = 0;
  let top: string | undefined;
  let pending: { path?: string; size?: number } = {};
  try {
    for (;;) {
      const block = await reader.take(BLOCK);
      if (!block) throw fail('the tarball is truncated (no end-of-archive marker)');
      if (block.every((byte) => byte === 0)) {
        if (!(await reader.onlyZerosLeft())) throw fail('data after the end-of-archive marker');
        break;
      }
      const checksum = octal(block, 148, 8);
      let sum = 0;
      for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
      if (checksum === undefined || checksum !== sum) throw fail('not a valid tarball (a header checksum does not match)');
      const flag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
      const declared = octal(block, 124, 12);
      if (declared === undefined) throw fail('an entry size that is not octal');
      const ustar = block.subarray(257, 262).toString('latin1') === 'ustar';
      const name = cString(block, 0, 100);
      const prefix = ustar ? cString(block, 345, 155) : '';
      const linkname = cString(block, 157, 100);
      headers += 1;
      if (headers > maxHeaders) throw fail(`more than ${maxHeaders} entries`);

      if (flag === 'x' || flag === 'g' || flag === 'L') {
        if (declared > MAX_META_BYTES) throw fail(`a ${flag === 'L' ? 'GNU long name' : 'pax header'} of more than ${MAX_META_BYTES} bytes`);
        metaTotal += declared;
        if (metaTotal > MAX_META_TOTAL) throw fail(`more than ${MAX_META_TOTAL} bytes of pax headers and long names`);
        const body = declared === 0 ? Buffer.alloc(0) : await reader.take(declared + ((BLOCK - (declared % BLOCK)) % BLOCK));
        if (!body) throw fail('the tarball is truncated');
        const content = body.subarray(0, declared);
        if (flag === 'L') pending.path = cString(content, 0, content.length);
        else {
          const records = paxRecords(content, fail);
          if (records.has('linkpath')) throw fail(`a pax link path ("${records.get('linkpath')}"): links are not allowed`);
          if (flag === 'g') {
            if (records.has('path') || records.has('size')) throw fail('a global pax header that sets a path or a size');
          } else {
            if (records.has('path')) pending.path = records.get('path')!;
            if (records.has('size')) {
              const size = records.get('size')!;
              if (!/^\d{1,15}$/.test(size)) throw fail('a pax size that is not a number');
              pending.size = Number(size);
            }
          }
        }
        continue;
      }

      const path = pending.path ?? (prefix ? `${prefix}/${name}` : name);
      const size = pending.size ?? declared;
      pending = {};
      const why = pathProblem(path);
      if (why) throw fail(why);
      if (flag !== '0' && flag !== '5') throw fail(`"${path}" is a ${TYPE_NAMES[flag] ?? `entry of type "${flag}"`}, only regular files and folders are allowed`);
      if (linkname !== '') throw fail(`"${path}" carries a link name ("${linkname}"): links are not allowed`);
      const type = flag === '5' ? 'Directory' : 'File';
      const parts = path.replace(/\/$/, '').split('/');
      const first = parts[0]!;
      if (parts.length === 1 && type !== 'Directory') throw fail(`"${path}" is not inside a top-level folder (expected package/...)`);
      if (top !== undefined && first !== top) throw fail(`entries under more than one top-level folder ("${top}", "${first}")`);
      top ??= first;
      const rest = parts.slice(1).join('/');
      if (parts[1] === PLUGIN_CACHE_META) throw fail(`"${path}": ${PLUGIN_CACHE_META} is the plugin cache's own file, a plugin may not hold one`);
      // A file where a folder is, or inside a file: refused here, not left to fail half-way through writing.
      for (let i = 1; i < parts.length; i += 1) {
        const parent = parts.slice(1, i).join('/');
        if (parent !== '' && summary.paths.has(parent)) throw fail(`"${path}" is inside "${first}/${parent}", which is a file`);
      }
      if (type === 'File') {
        if (summary.paths.has(rest)) throw fail(`"${path}" appears twice`);
        if (folders.has(rest)) throw fail(`"${path}" is both a folder and a file`);
        summary.files += 1;
        summary.bytes += size;
        if (summary.files > limits.maxFiles) throw fail(`more than ${limits.maxFiles} files`);
        if (summary.bytes > limits.maxBytes) throw fail(`more than ${limits.maxBytes} bytes unpacked`);
        summary.paths.add(rest);
      } else {
        for (let i = 2; i <= parts.length; i += 1) folders.add(parts.slice(1, i).join('/'));
      }
      for (let i = 2; i < parts.length; i += 1) folders.add(parts.slice(1, i).join('/'));
      const mode = type === 'Directory' ? 0o755 : (octal(block, 100, 8) ?? 0) & 0o111 ? 0o755 : 0o644;
      if (type === 'Directory' && size > 0) throw fail(`folder "${path}" has a body`);
      let consumed = 0;
      const body: AsyncIterable<Buffer> = {
        async *[Symbol.asyncIterator]() {
          for await (const piece of reader.pieces(size - consumed)) {
            consumed += piece.length;
            yield piece;
          }
        },
      };
      if (rest !== '') await onEntry({ path: rest, type, mode, size }, body);
      for await (const piece of reader.pieces(size - consumed)) consumed += piece.length;
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if (padding > 0 && !(await reader.take(padding))) throw fail('the tarball is truncated');
    }
  } finally {
    gunzip?.destroy();
  }
  if (pending.path !== undefined || pending.size !== undefined) throw fail('a pax header or long name with no entry after it');
  if (summary.files === 0) throw fail('the tarball holds no files');
  return summary;
}

/** Reads every header and checks it, writing nothing; answers the number of files and bytes. Throws on the first problem. */
export async function inspectTarball(bytes: Uint8Array, where: string, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS): Promise<TarballSummary> {
  return scanTarball(bytes, where, limits);
}

/**
 * Extracts into `dest` (an empty folder), dropping the top-level folder, in
 * the same pass that checks it: on a refusal, `dest` may hold part of it.
 */
export async function unpackTarball(bytes: Uint8Array, dest: string, where: string, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS): Promise<TarballSummary> {
  return scanTarball(bytes, where, limits, async (entry, body) => {
    const target = join(dest, entry.path);
    try {
      if (entry.type === 'Directory') {
        await mkdir(target, { recursive: true, mode: 0o755 });
        return;
      }
      await mkdir(join(target, '..'), { recursive: true, mode: 0o755 });
      // 'wx': never through something already there (the checks above make that impossible anyway).
      const handle = await open(target, 'wx', entry.mode);
      try {
        for await (const piece of body) await handle.write(piece);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof KadendeError) throw error;
      throw unsafe(where, `cannot unpack "${entry.path}": ${(error as Error).message}`);
    }
  });
}
