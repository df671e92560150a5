import { basename } from "node:path";
import { DatasetRowError } from "../../protocols/index.ts";
import { readCsvRecords } from "./csv-reader.ts";
import { recordBadRow, type LoadOptions, type LoadReport } from "./load-report.ts";

/** Typed access to one record's fields by column name; every getter throws DatasetRowError on bad input. */
export class Row {
  fields: string[] = [];
  line = 0;
  raw = "";
  constructor(readonly file: string, readonly header: readonly string[], private readonly index: ReadonlyMap<string, number>) {}

  has(col: string): boolean {
    return this.index.has(col);
  }

  str(col: string): string {
    const i = this.index.get(col);
    if (i === undefined) throw this.error(col, "column is not in the header");
    return this.fields[i] ?? "";
  }

  /** A finite number; `missing` values (e.g. "", "-124") give undefined. */
  optNum(col: string, missing: readonly string[] = [""]): number | undefined {
    const raw = this.str(col);
    if (missing.includes(raw)) return undefined;
    const n = Number(raw);
    // Number("") and Number("  ") are 0: only accept a blank as missing, never as a number.
    if (Number.isFinite(n) && raw.trim() !== "") return n;
    const s = raw.trim();
    if (missing.includes(s)) return undefined;
    throw this.error(col, `not a number: ${JSON.stringify(s.slice(0, 40))}`);
  }

  num(col: string): number {
    const n = this.optNum(col, []);
    return n!;
  }

  /** A non-negative safe integer (ids, counts, milliseconds). "12.0" is accepted (pandas float exports). */
  int(col: string): number {
    const n = this.num(col);
    if (!Number.isSafeInteger(n) || n < 0) throw this.error(col, `not a non-negative integer: ${JSON.stringify(this.str(col))}`);
    return n;
  }

  /** A 0/1 flag. */
  flag(col: string): boolean {
    const s = this.str(col);
    if (s === "1" || s === "1.0") return true;
    if (s === "0" || s === "0.0") return false;
    const t = s.trim();
    if (t !== s) return this.flagOf(col, t);
    throw this.error(col, `not a 0/1 flag: ${JSON.stringify(s.slice(0, 40))}`);
  }

  private flagOf(col: string, s: string): boolean {
    if (s === "1" || s === "1.0") return true;
    if (s === "0" || s === "0.0") return false;
    throw this.error(col, `not a 0/1 flag: ${JSON.stringify(s.slice(0, 40))}`);
  }

  error(col: string, problem: string): DatasetRowError {
    return new DatasetRowError(this.file, this.line, col, problem);
  }
}

export interface TableSpec {
  delimiter?: string;
  /** Columns the header must have; a missing one is an error for the whole file. */
  required: readonly string[];
  /** Join lines of records that are short (raw line breaks in unquoted text). */
  joinShortRecords?: boolean;
  /** The file has no header: these are its columns. */
  columns?: readonly string[];
  /** Accept a record with more fields than the header (text columns with stray delimiters are last). */
  allowExtraFields?: boolean;
  /** With `columns`: a first record whose first field is not a number is a header and is skipped. */
  optionalHeader?: boolean;
  /** `map` returns arrays: each element is yielded (and counted) on its own. */
  flatten?: boolean;
}

const PROGRESS_EVERY = 16_384;

/**
 * Streams a headed table through `map`: a record with the wrong width or a field `map` rejects is a bad
 * row (counted, skipped, or thrown in strict mode). An empty file or a header without a required column
 * throws: nothing in the file can be read.
 */
export function readTable<T>(
  path: string, spec: TableSpec & { flatten: true }, opts: LoadOptions, report: LoadReport, map: (row: Row) => T[] | undefined,
): AsyncGenerator<T>;
export function readTable<T>(
  path: string, spec: TableSpec, opts: LoadOptions, report: LoadReport, map: (row: Row) => T | undefined,
): AsyncGenerator<T>;
export async function* readTable<T>(
  path: string,
  spec: TableSpec,
  opts: LoadOptions,
  report: LoadReport,
  map: (row: Row) => T | T[] | undefined,
): AsyncGenerator<T> {
  const file = basename(path);
  let bytes = 0;
  let total = 0;
  let header: string[] | undefined = spec.columns ? [...spec.columns] : undefined;
  let row: Row | undefined = header ? makeRow(file, header, spec) : undefined;
  const source = readCsvRecords(path, {
    delimiter: spec.delimiter,
    joinShortRecordsTo: spec.joinShortRecords ? (header ? header.length : "header") : 0,
    onBroken: (e) => {
      report.rows++;
      recordBadRow(report, e, opts);
    },
    onBytes: (b, t) => {
      bytes = b;
      total = t;
    },
  });
  if (!header) {
    const first = await source.next();
    if (first.done) throw new DatasetRowError(file, 1, "(header)", "empty file: no header line");
    header = first.value.fields.map((h) => h.trim());
    row = makeRow(file, header, spec);
  }
  const width = header.length;
  let first = true;
  for await (const rec of source) {
    if (first && spec.optionalHeader) {
      first = false;
      const f0 = rec.fields[0]?.trim() ?? "";
      if (f0 === "" || !Number.isFinite(Number(f0))) continue;
    }
    report.rows++;
    row!.fields = rec.fields;
    row!.line = rec.line;
    row!.raw = rec.raw;
    let value: T | T[] | undefined;
    try {
      if (rec.fields.length < width) {
        throw row!.error(header[rec.fields.length]!, `missing: the record has ${rec.fields.length} fields, the header ${width}`);
      }
      if (rec.fields.length > width && !spec.allowExtraFields) {
        throw row!.error("(record)", `${rec.fields.length} fields, the header has ${width} (unquoted delimiter?)`);
      }
      value = map(row!);
    } catch (e) {
      if (!(e instanceof DatasetRowError)) throw e;
      recordBadRow(report, e, opts);
      continue;
    }
    if (report.rows % PROGRESS_EVERY === 0) opts.onProgress?.({ file, bytesRead: bytes, totalBytes: total, rows: report.rows });
    if (value === undefined) continue;
    if (spec.flatten) {
      report.yielded += (value as T[]).length;
      yield* value as T[];
    } else {
      report.yielded++;
      yield value as T;
    }
  }
  opts.onProgress?.({ file, bytesRead: total, totalBytes: total, rows: report.rows });
}

function makeRow(file: string, header: readonly string[], spec: TableSpec): Row {
  const index = new Map<string, number>();
  header.forEach((h, i) => index.set(h, i));
  for (const col of spec.required) {
    if (!index.has(col)) throw new DatasetRowError(file, 1, col, `required column missing from the header (${header.join(",").slice(0, 120)})`);
  }
  return new Row(file, header, index);
}
