import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import { DatasetRowError } from "../../protocols/index.ts";

/** One logical record of a delimited file: its fields, the 1-based line it starts on, and its raw text. */
export interface CsvRecord {
  fields: string[];
  line: number;
  raw: string;
}

export interface CsvReadOptions {
  delimiter?: string;
  /**
   * A record with fewer fields than this is joined with the next physical line (the line break belongs to an
   * unquoted text field: KuaiRec captions). "header" uses the first record's width; 0 disables joining.
   */
  joinShortRecordsTo?: number | "header";
  /** Upper bound on physical lines in one record, so one broken quote cannot swallow the whole file. */
  maxRecordLines?: number;
  /** Called for records that cannot be assembled (broken quotes); reading continues after them. */
  onBroken?: (err: DatasetRowError) => void;
  /** Called with bytes read so far, about every 64 KiB chunk. */
  onBytes?: (bytesRead: number, totalBytes: number) => void;
}

type Split = { fields: string[]; open: boolean };

/** Splits one (possibly multi-line) record. `open` means a quoted field is still unterminated. */
export function splitRecord(text: string, delimiter: string): Split {
  if (!text.includes('"')) return { fields: text.split(delimiter), open: false };
  const fields: string[] = [];
  let cur = "";
  let i = 0;
  let quoted = false;
  let atFieldStart = true;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cur += ch;
      i++;
      continue;
    }
    if (ch === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (ch === delimiter) {
      fields.push(cur);
      cur = "";
      atFieldStart = true;
    } else {
      // A quote in the middle of an unquoted field is kept literally (lenient, like most CSV readers).
      cur += ch;
      atFieldStart = false;
    }
    i++;
  }
  fields.push(cur);
  return { fields, open: quoted };
}

/** Physical lines of a file, split on "\n" only (a bare "\r" inside a field is data), CRLF tolerated. */
async function* physicalLines(path: string, onBytes?: CsvReadOptions["onBytes"]): AsyncGenerator<string[]> {
  const total = statSync(path).size;
  const stream = createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 16 });
  let rest = "";
  let first = true;
  for await (const chunk of stream as AsyncIterable<string>) {
    let text = rest + chunk;
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    let nl = text.indexOf("\n", start);
    // One await per chunk, not per line.
    const batch: string[] = [];
    while (nl !== -1) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      batch.push(text.slice(start, end));
      start = nl + 1;
      nl = text.indexOf("\n", start);
    }
    rest = text.slice(start);
    onBytes?.(stream.bytesRead, total);
    if (batch.length > 0) yield batch;
  }
  if (rest.length > 0) yield [rest.endsWith("\r") ? rest.slice(0, -1) : rest];
}

/**
 * Streams the records of a delimited file: memory is bounded by the longest record, not the file. Quoted
 * fields may span lines (RFC 4180). Empty lines are skipped.
 */
export async function* readCsvRecords(path: string, opts: CsvReadOptions = {}): AsyncGenerator<CsvRecord> {
  const delimiter = opts.delimiter ?? ",";
  const joinOpt = opts.joinShortRecordsTo ?? 0;
  // Until the header is read, nothing is joined.
  let join = joinOpt === "header" ? 0 : joinOpt;
  let seenFirst = false;
  const maxLines = opts.maxRecordLines ?? 64;
  const file = basename(path);
  // Lines waiting to be assembled; a failed multi-line record is re-read from its second line.
  const pending: { text: string; line: number }[] = [];
  let lineNo = 0;
  const lines = physicalLines(path, opts.onBytes);
  let eof = false;
  let batch: string[] = [];
  let bi = 0;
  const pullSync = (): boolean => {
    if (bi >= batch.length) return false;
    pending.push({ text: batch[bi++]!, line: ++lineNo });
    return true;
  };
  const pull = async (): Promise<boolean> => {
    while (bi >= batch.length) {
      if (eof) return false;
      const r = await lines.next();
      if (r.done) {
        eof = true;
        return false;
      }
      batch = r.value;
      bi = 0;
    }
    pending.push({ text: batch[bi++]!, line: ++lineNo });
    return true;
  };
  for (;;) {
    if (pending.length === 0 && !pullSync() && !(await pull())) return;
    const head = pending[0]!;
    if (head.text.length === 0) {
      pending.shift();
      continue;
    }
    let used = 1;
    let raw = head.text;
    let split = splitRecord(raw, delimiter);
    let broken: string | undefined;
    while (split.open || (join > 0 && split.fields.length < join)) {
      if (used >= maxLines) {
        broken = split.open ? `unterminated quoted field (no closing quote within ${maxLines} lines)` : "";
        break;
      }
      if (pending.length <= used && !pullSync() && !(await pull())) {
        broken = split.open ? "unterminated quoted field at end of file" : "";
        break;
      }
      raw += "\n" + pending[used]!.text;
      used++;
      split = splitRecord(raw, delimiter);
    }
    // A short line followed by a complete record is a truncated row, not a record broken across lines.
    if (broken === undefined && join > 0 && used > 1 && split.fields.length > join) broken = "";
    if (broken === "") {
      // Joining never reached the expected width: give back the single line; the caller reports the width.
      pending.shift();
      yield { fields: splitRecord(head.text, delimiter).fields, line: head.line, raw: head.text };
      continue;
    }
    if (broken !== undefined) {
      pending.shift();
      opts.onBroken?.(new DatasetRowError(file, head.line, "(record)", broken));
      continue;
    }
    pending.splice(0, used);
    if (!seenFirst) {
      seenFirst = true;
      if (joinOpt === "header") join = split.fields.length;
    }
    yield { fields: split.fields, line: head.line, raw };
  }
}
