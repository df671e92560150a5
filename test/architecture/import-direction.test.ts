import t from "tap";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

// DESIGN.md §2: protocols <- models <- actors <- cluster <- loadtest <- bin. configs/ sits beside the
// chain: it imports only protocols, and only the outer layers (cluster, loadtest, bin) read it.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const LAYERS = ["protocols", "models", "actors", "cluster", "loadtest", "bin"] as const;
const FOLDERS = [...LAYERS, "configs"];
const CONFIG_READERS = new Set(["cluster", "loadtest", "bin"]);

/** One file per external system imports its client (STYLE.md); tfjs is confined to models/training. */
const CLIENTS: { name: string; match: (spec: string) => boolean; maxFiles: number; under?: string; only?: string[] }[] = [
  { name: "nats", match: (s) => s.startsWith("@nats-io/"), maxFiles: 3, only: ["cluster/transport/nats-transport.ts", "cluster/durability/jetstream.ts", "cluster/membership/kv-leases.ts"] },
  { name: "grpc", match: (s) => s === "@grpc/grpc-js", maxFiles: 1 },
  { name: "lmdb", match: (s) => s === "lmdb", maxFiles: 1 },
  { name: "onnxruntime", match: (s) => s === "onnxruntime-node", maxFiles: 1 },
  { name: "hnswlib", match: (s) => s === "hnswlib-node", maxFiles: 1 },
  { name: "tfjs", match: (s) => s.startsWith("@tensorflow/"), maxFiles: 1000, under: "models/training/" },
];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

function importsOf(source: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\sfrom\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of source.matchAll(re)) specs.push((m[1] ?? m[2])!);
  return specs;
}

const files = FOLDERS.flatMap((f) => {
  try {
    return tsFiles(join(ROOT, f));
  } catch {
    return [];
  }
});

t.test("architecture - imports follow the layer order and cross folders only through index.ts", (t) => {
  const violations: string[] = [];
  for (const file of files) {
    const rel = relative(ROOT, file).split(sep).join("/");
    const from = rel.split("/")[0]!;
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      if (!spec.startsWith(".")) continue;
      const target = relative(ROOT, resolve(dirname(file), spec)).split(sep).join("/");
      const to = target.split("/")[0]!;
      if (to === from) continue;
      if (!FOLDERS.includes(to)) {
        violations.push(`${rel} imports ${spec} (outside the source folders)`);
        continue;
      }
      if (target !== `${to}/index.ts`) violations.push(`${rel} imports ${target}: other folders only through ${to}/index.ts`);
      if (to === "configs") {
        if (!CONFIG_READERS.has(from)) violations.push(`${rel} imports configs/: modules receive config slices instead`);
      } else if (from === "configs") {
        if (to !== "protocols") violations.push(`${rel}: configs/ may import only protocols/`);
      } else if (LAYERS.indexOf(to as (typeof LAYERS)[number]) > LAYERS.indexOf(from as (typeof LAYERS)[number])) {
        violations.push(`${rel} imports ${to}/: ${from}/ must not depend on an outer layer`);
      }
    }
  }
  t.same(violations, [], "no violations");
  t.ok(files.length > 20, `scanned ${files.length} files`);
  t.end();
});

t.test("architecture - each external client library is imported by one file", (t) => {
  const users = new Map<string, string[]>();
  for (const file of files) {
    const rel = relative(ROOT, file).split(sep).join("/");
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      for (const c of CLIENTS) if (c.match(spec)) users.set(c.name, [...new Set([...(users.get(c.name) ?? []), rel])]);
    }
  }
  for (const c of CLIENTS) {
    const u = users.get(c.name) ?? [];
    t.ok(u.length <= c.maxFiles, `${c.name}: imported by ${u.length} file(s): ${u.join(", ") || "none"}`);
    if (c.under !== undefined) for (const f of u) t.ok(f.startsWith(c.under), `${c.name} only under ${c.under}: ${f}`);
    if (c.only !== undefined) for (const f of u) t.ok(c.only.includes(f), `${c.name} only in ${c.only.join(", ")}: ${f}`);
    for (const f of u) t.notOk(f.startsWith("actors/"), `actors/ never imports ${c.name} (${f})`);
  }
  t.end();
});

t.test("architecture - no console.* in library code", (t) => {
  const offenders = files
    .filter((f) => !relative(ROOT, f).startsWith("bin"))
    .filter((f) => /(^|[^.\w])console\.(log|info|warn|error|debug|trace)\(/m.test(readFileSync(f, "utf8")))
    .map((f) => relative(ROOT, f));
  t.same(offenders, []);
  t.end();
});

t.test("architecture - the scanner sees through the import forms it must catch", (t) => {
  const src = `import a from "./x.ts";\nimport type { B } from "../y/index.ts";\nexport { c } from "./z.ts";\nconst d = await import("../w/index.ts");\nimport "./side.ts";`;
  t.same(importsOf(src), ["./x.ts", "../y/index.ts", "./z.ts", "../w/index.ts", "./side.ts"]);
  t.end();
});
