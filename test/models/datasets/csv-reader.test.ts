import t from "tap";
import { join } from "node:path";
import { readCsvRecords, splitRecord, type CsvRecord } from "../../../models/index.ts";
import type { DatasetRowError } from "../../../protocols/index.ts";
import { collect, tempFiles } from "../../helpers/datasets.ts";

t.test("csv - quoted fields with delimiters, escaped quotes and line breaks", async (t) => {
  t.same(splitRecord('1,"a,b","say ""hi""",', ",").fields, ["1", "a,b", 'say "hi"', ""]);
  const dir = tempFiles({ "q.csv": 'id,text\r\n1,"two\nlines"\r\n2,plain\r\n\r\n3,"x"' });
  const recs = await collect(readCsvRecords(join(dir, "q.csv")));
  t.same(recs.map((r: CsvRecord) => [r.line, r.fields]), [[1, ["id", "text"]], [2, ["1", "two\nlines"]], [4, ["2", "plain"]], [6, ["3", "x"]]]);
});

t.test("csv - a bare CR is data; short records are joined up to the header width", async (t) => {
  const dir = tempFiles({ "c.csv": "id,caption,cat\n1,a\rb,9\n2,first\nsecond,8\n3,ok,7\n" });
  const recs = await collect(readCsvRecords(join(dir, "c.csv"), { joinShortRecordsTo: "header" }));
  t.same(recs.map((r) => r.fields), [["id", "caption", "cat"], ["1", "a\rb", "9"], ["2", "first\nsecond", "8"], ["3", "ok", "7"]]);
  t.same(recs.map((r) => r.line), [1, 2, 3, 5]);
});

t.test("csv - a truncated row before a complete one is not glued to it", async (t) => {
  const dir = tempFiles({ "c.csv": "a,b,c\n1,2\n3,4,5\n" });
  const recs = await collect(readCsvRecords(join(dir, "c.csv"), { joinShortRecordsTo: "header" }));
  t.same(recs.map((r) => r.fields), [["a", "b", "c"], ["1", "2"], ["3", "4", "5"]]);
});

t.test("csv - an unterminated quote is reported with its line and reading goes on", async (t) => {
  const dir = tempFiles({ "b.csv": 'a,b\n1,"open\n2,x\n3,y\n' });
  const broken: DatasetRowError[] = [];
  const recs = await collect(readCsvRecords(join(dir, "b.csv"), { maxRecordLines: 2, onBroken: (e) => broken.push(e) }));
  t.equal(broken.length, 1);
  t.equal(broken[0]!.line, 2);
  t.equal(broken[0]!.file, "b.csv");
  t.match(broken[0]!.message, /b\.csv:2: .*unterminated quoted field/);
  t.same(recs.map((r) => r.fields), [["a", "b"], ["2", "x"], ["3", "y"]]);
});

t.test("csv - BOM stripped, empty file yields nothing", async (t) => {
  const dir = tempFiles({ "bom.csv": "\ufeffid\n1\n", "empty.csv": "" });
  t.same((await collect(readCsvRecords(join(dir, "bom.csv")))).map((r) => r.fields), [["id"], ["1"]]);
  t.same(await collect(readCsvRecords(join(dir, "empty.csv"))), []);
});
