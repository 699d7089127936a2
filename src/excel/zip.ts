/**
 * The two halves of ZIP that .xlsx needs, on `node:zlib` alone (no dependency):
 *
 * - `ZipWriter` streams entries one after the other: a local header with the "data descriptor" flag (sizes
 *   and CRC unknown up front), the raw-deflated body as it is produced, then the descriptor; the central
 *   directory is written at the end from what was counted. Memory: one deflate window per entry.
 * - `ZipReader` reads by random access from a file (central directory first), so the order of entries in
 *   the archive does not matter (Excel often stores sharedStrings.xml after the sheets, which a forward-only
 *   reader would have to buffer). An entry's body is streamed through `createInflateRaw`, its CRC checked.
 *
 * ZIP64 is not supported (archives and entries under 4 GiB: far beyond 100,000 rows, about 10 MB).
 */
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import type { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { crc32, createDeflateRaw, createInflateRaw } from "node:zlib";

const UTF8_FLAG = 0x0800;
const DESCRIPTOR_FLAG = 0x0008;

interface WrittenEntry {
  name: Buffer;
  offset: number;
  crc: number;
  compressed: number;
  size: number;
}

/** DOS date and time of 1980-01-01 00:00: entries carry no real time, so files are reproducible. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export class ZipWriter {
  private offset = 0;
  private readonly entries: WrittenEntry[] = [];

  constructor(private readonly out: Writable) {}

  private async write(buf: Buffer): Promise<void> {
    this.offset += buf.length;
    if (!this.out.write(buf)) await once(this.out, "drain");
  }

  /** Adds one deflated entry whose body is the UTF-8 of the given text chunks. */
  async add(name: string, body: AsyncIterable<string> | Iterable<string>): Promise<void> {
    const nameBuf = Buffer.from(name, "utf8");
    const entry: WrittenEntry = { name: nameBuf, offset: this.offset, crc: 0, compressed: 0, size: 0 };
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(UTF8_FLAG | DESCRIPTOR_FLAG, 6);
    head.writeUInt16LE(8, 8);
    head.writeUInt16LE(DOS_TIME, 10);
    head.writeUInt16LE(DOS_DATE, 12);
    head.writeUInt16LE(nameBuf.length, 26);
    await this.write(Buffer.concat([head, nameBuf]));

    const deflate = createDeflateRaw({ level: 6 });
    const pending: Buffer[] = [];
    deflate.on("data", (c: Buffer) => pending.push(c));
    const flushPending = async () => {
      while (pending.length > 0) {
        const c = pending.shift()!;
        entry.compressed += c.length;
        await this.write(c);
      }
    };
    for await (const text of body) {
      if (text.length === 0) continue;
      const buf = Buffer.from(text, "utf8");
      entry.crc = crc32(buf, entry.crc);
      entry.size += buf.length;
      // Backpressure: wait for deflate to take the chunk, then pass its output on before reading more.
      if (!deflate.write(buf)) await once(deflate, "drain");
      await flushPending();
    }
    const ended = once(deflate, "end");
    deflate.end();
    await ended;
    await flushPending();

    const desc = Buffer.alloc(16);
    desc.writeUInt32LE(0x08074b50, 0);
    desc.writeUInt32LE(entry.crc >>> 0, 4);
    desc.writeUInt32LE(entry.compressed, 8);
    desc.writeUInt32LE(entry.size, 12);
    await this.write(desc);
    this.entries.push(entry);
  }

  /** Writes the central directory; the caller ends the output stream. */
  async finish(): Promise<void> {
    const start = this.offset;
    for (const e of this.entries) {
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(20, 4);
      h.writeUInt16LE(20, 6);
      h.writeUInt16LE(UTF8_FLAG | DESCRIPTOR_FLAG, 8);
      h.writeUInt16LE(8, 10);
      h.writeUInt16LE(DOS_TIME, 12);
      h.writeUInt16LE(DOS_DATE, 14);
      h.writeUInt32LE(e.crc >>> 0, 16);
      h.writeUInt32LE(e.compressed, 20);
      h.writeUInt32LE(e.size, 24);
      h.writeUInt16LE(e.name.length, 28);
      h.writeUInt32LE(e.offset, 42);
      await this.write(Buffer.concat([h, e.name]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    await this.write(end);
  }
}

export interface ZipEntryInfo {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
  readonly crc: number;
}

/** Thrown for a file that is not a readable ZIP; the importer turns it into a problem. */
export class ZipFormatError extends Error {}

export class ZipReader {
  private constructor(
    private readonly path: string,
    private readonly fd: FileHandle,
    readonly entries: ReadonlyMap<string, ZipEntryInfo>,
  ) {}

  static async open(path: string): Promise<ZipReader> {
    const fd = await open(path, "r");
    try {
      const { size } = await fd.stat();
      const tailLen = Math.min(size, 22 + 0xffff);
      const tail = Buffer.alloc(tailLen);
      await fd.read(tail, 0, tailLen, size - tailLen);
      let eocd = -1;
      for (let i = tailLen - 22; i >= 0; i--) {
        if (tail.readUInt32LE(i) === 0x06054b50) {
          eocd = i;
          break;
        }
      }
      if (eocd < 0) throw new ZipFormatError("no end of central directory");
      const count = tail.readUInt16LE(eocd + 10);
      const cdSize = tail.readUInt32LE(eocd + 12);
      const cdOffset = tail.readUInt32LE(eocd + 16);
      if (cdOffset === 0xffffffff || cdOffset + cdSize > size)
        throw new ZipFormatError("bad central directory");
      const cd = Buffer.alloc(cdSize);
      await fd.read(cd, 0, cdSize, cdOffset);
      const entries = new Map<string, ZipEntryInfo>();
      let p = 0;
      for (let i = 0; i < count; i++) {
        if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw new ZipFormatError("bad entry");
        const nameLen = cd.readUInt16LE(p + 28);
        const extraLen = cd.readUInt16LE(p + 30);
        const commentLen = cd.readUInt16LE(p + 32);
        const name = cd.toString("utf8", p + 46, p + 46 + nameLen);
        entries.set(name, {
          name,
          method: cd.readUInt16LE(p + 10),
          compressedSize: cd.readUInt32LE(p + 20),
          size: cd.readUInt32LE(p + 24),
          localOffset: cd.readUInt32LE(p + 42),
          crc: cd.readUInt32LE(p + 16),
        });
        p += 46 + nameLen + extraLen + commentLen;
      }
      return new ZipReader(path, fd, entries);
    } catch (e) {
      await fd.close();
      throw e;
    }
  }

  /** The entry's text in decoded UTF-8 chunks; `onBytes` gets the compressed bytes read so far. */
  async *text(name: string, onBytes?: (read: number) => void): AsyncGenerator<string> {
    const e = this.entries.get(name);
    if (!e) throw new ZipFormatError(`no entry ${name}`);
    const local = Buffer.alloc(30);
    await this.fd.read(local, 0, 30, e.localOffset);
    if (local.readUInt32LE(0) !== 0x04034b50) throw new ZipFormatError(`bad local header of ${name}`);
    const start = e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (e.compressedSize === 0) return;
    const raw = createReadStream(this.path, {
      start,
      end: start + e.compressedSize - 1,
      highWaterMark: 64 * 1024,
    });
    let read = 0;
    raw.on("data", (c) => {
      read += c.length;
      onBytes?.(read);
    });
    let source: AsyncIterable<Buffer>;
    if (e.method === 8) {
      const inflate = createInflateRaw();
      // pipe() does not pass a read error on; without this the consumer would wait for ever.
      raw.on("error", (err) => inflate.destroy(err));
      source = raw.pipe(inflate);
    } else if (e.method === 0) source = raw;
    else throw new ZipFormatError(`compression method ${e.method} of ${name}`);
    const decoder = new StringDecoder("utf8");
    try {
      let crc = 0;
      for await (const chunk of source) {
        crc = crc32(chunk, crc);
        yield decoder.write(chunk);
      }
      if (crc >>> 0 !== e.crc) throw new ZipFormatError(`${name} is damaged (CRC mismatch)`);
      const rest = decoder.end();
      if (rest) yield rest;
    } finally {
      raw.destroy();
    }
  }

  /** A whole (small) entry as text: workbook.xml, relationships. */
  async readAll(name: string): Promise<string> {
    let s = "";
    for await (const c of this.text(name)) s += c;
    return s;
  }

  async close(): Promise<void> {
    await this.fd.close();
  }
}
