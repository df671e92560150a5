import { DatasetRowError } from "../../protocols/index.ts";

/** What one file's load saw. Filled while streaming; final when the stream ends. */
export interface LoadReport {
  file: string;
  /** Data records read (header excluded), good or bad. */
  rows: number;
  /** Records yielded (rows - badRows - duplicates, or more for files with several items a row). */
  yielded: number;
  badRows: number;
  duplicates: number;
  /** The first `maxErrors` bad rows, for the user to look at. */
  errors: DatasetRowError[];
  /** A few duplicate lines (line numbers), for the user to look at. */
  duplicateLines: number[];
}

export interface LoadProgress {
  file: string;
  bytesRead: number;
  totalBytes: number;
  rows: number;
}

export interface LoadOptions {
  /** Stop at the first bad row (throw its DatasetRowError) instead of counting and skipping it. */
  strict?: boolean;
  /** How many bad rows the report keeps (all are counted). Default 100. */
  maxErrors?: number;
  onProgress?: (p: LoadProgress) => void;
  onBadRow?: (e: DatasetRowError) => void;
}

/** A stream of records with the report of the file(s) behind it. */
export interface DatasetStream<T> extends AsyncIterable<T> {
  readonly report: LoadReport;
}

export function emptyReport(file: string): LoadReport {
  return { file, rows: 0, yielded: 0, badRows: 0, duplicates: 0, errors: [], duplicateLines: [] };
}

/** Counts and keeps a bad row, or throws it in strict mode. */
export function recordBadRow(report: LoadReport, err: DatasetRowError, opts: LoadOptions): void {
  if (opts.strict) throw err;
  report.badRows++;
  if (report.errors.length < (opts.maxErrors ?? 100)) report.errors.push(err);
  opts.onBadRow?.(err);
}

export function recordDuplicate(report: LoadReport, line: number): void {
  report.duplicates++;
  if (report.duplicateLines.length < 20) report.duplicateLines.push(line);
}

/** Wraps a generator factory so iterating it fills `report`. */
export function datasetStream<T>(report: LoadReport, gen: () => AsyncGenerator<T>): DatasetStream<T> {
  return { report, [Symbol.asyncIterator]: gen };
}

/** A plain summary of a report (errors as strings) for JSON output. */
export function summarizeReport(r: LoadReport): Record<string, unknown> {
  return {
    file: r.file, rows: r.rows, yielded: r.yielded, badRows: r.badRows, duplicates: r.duplicates,
    errors: r.errors.map((e) => e.message), duplicateLines: r.duplicateLines,
  };
}
