import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import { buildContext } from "../../bin/cli.ts";
import { embedCommand } from "../../bin/commands/embed.ts";
import { contentFeatures, HnswIndex, loadTraining, openDataset, writeContentModel, type Video } from "../../models/index.ts";
import { LmdbCatalog, LmdbVectorStore } from "../../cluster/index.ts";

const T = await loadTraining();
await T.initTf();

t.test("fyp embed - embeds a tiny imported catalog into LMDB and saves an HNSW index that loads", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "fyp-embed-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const features = { textBuckets: 1024, textMaxTokens: 16, metaBuckets: 512, metaMaxTokens: 8 };
  const shape = { bagDim: 8, textDim: 8, metaDim: 8, contentDim: 12, heads: 2, keyDim: 4 };
  const { model, text } = T.buildContentModel({ ...features, ...shape });
  writeContentModel(join(dir, "models"), {
    kind: "content-model", version: "v1", createdAt: new Date().toISOString(), features, dims: { text: 8, content: 12 },
    io: {}, files: { content: "content.onnx", text: "text.onnx" },
  }, { content: T.exportLayersModel(model), text: T.exportLayersModel(text) });
  const catalog = new LmdbCatalog(join(dir, "catalog"), "kuairec");
  const videos: Video[] = [
    { videoId: 1, tags: [3], category: 3, title: "萌宠 猫咪 睡觉", categoryNames: ["萌宠"] },
    { videoId: 2, tags: [5], category: 5, title: "How to cook steak" },
    { videoId: 3, tags: [], durationMs: 12_000 },
    { videoId: 4, tags: [] }, // nothing to embed
  ];
  for (const v of videos) catalog.putVideo(v);
  catalog.putMeta("import", { test: true });
  await catalog.close();

  const out: string[] = [];
  const ctx = buildContext(embedCommand, [
    "kuairec", "--catalog", join(dir, "catalog"), "--no-progress", "--log-level", "silent",
    "--set", `storage.dir=${join(dir, "store")}`, "--set", `embeddings.content.modelsDir=${join(dir, "models")}`,
  ]);
  ctx.out = (line) => void out.push(line);
  t.equal(await embedCommand.run(ctx), 0);
  const summary = JSON.parse(out[0]!);
  t.match(summary, { dataset: "kuairec", videos: 4, stored: 3, dim: 12, model: "v1" });
  const store = new LmdbVectorStore(join(dir, "store", "vectors"), "kuairec");
  t.teardown(() => store.close());
  t.equal(store.count(), 3);
  t.equal(store.get(4), undefined, "a video with neither text nor metadata gets no vector");
  const v1 = store.get(1)!;
  t.ok(Math.abs(Math.hypot(...v1) - 1) < 1e-5, "stored vectors are unit length");
  const index = HnswIndex.load(summary.index);
  t.equal(index.size, 3);
  t.equal(index.search(v1, 1)[0]!.id, 1, "a stored vector finds its own video");
});

t.test("fyp embed - real KuaiRec captions (Chinese) and MicroLens titles: distinct inputs give distinct unit vectors", async (t) => {
  const DATASETS = fileURLToPath(new URL("../../../shared/datasets/", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "fyp-embed-real-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const features = { textBuckets: 4096, textMaxTokens: 32, metaBuckets: 1024, metaMaxTokens: 12 };
  const shape = { bagDim: 8, textDim: 8, metaDim: 8, contentDim: 16, heads: 2, keyDim: 4 };
  const { model, text } = T.buildContentModel({ ...features, ...shape });
  writeContentModel(join(dir, "models"), {
    kind: "content-model", version: "v1", createdAt: new Date().toISOString(), features, dims: { text: 8, content: 16 },
    io: {}, files: { content: "content.onnx", text: "text.onnx" },
  }, { content: T.exportLayersModel(model), text: T.exportLayersModel(text) });
  const sample = 2000;
  for (const name of ["kuairec", "microlens"] as const) {
    const src = openDataset(name, join(DATASETS, name), { rules: { skipFastMs: 3000, rewatchRatio: 2, sessionGapMs: 1_800_000 } });
    const catalog = new LmdbCatalog(join(dir, "catalog"), name);
    const ids = new Set<number>();
    for await (const v of src.videos()) {
      catalog.putVideo(v);
      ids.add(v.videoId);
      if (ids.size >= sample) break;
    }
    // KuaiRec captions arrive as patches (kuairec_caption_category.csv), as in `fyp data import`
    for await (const p of src.videoPatches()) if (ids.has(p.videoId)) catalog.patchVideo(p.videoId, p.patch);
    catalog.putMeta("import", { test: true, sample });
    await catalog.close();
  }
  const out: string[] = [];
  const ctx = buildContext(embedCommand, [
    "kuairec", "microlens", "--catalog", join(dir, "catalog"), "--no-progress", "--log-level", "silent",
    "--set", `storage.dir=${join(dir, "store")}`, "--set", `embeddings.content.modelsDir=${join(dir, "models")}`,
  ]);
  ctx.out = (line) => void out.push(line);
  t.equal(await embedCommand.run(ctx), 0);
  const summaries = out.map((l) => JSON.parse(l) as { dataset: string; videos: number; stored: number; index: string });
  t.same(summaries.map((s) => [s.dataset, s.videos, s.stored]), [["kuairec", sample, sample], ["microlens", sample, sample]], "every sampled video (all have a caption or title) is stored");
  for (const s of summaries) {
    const store = new LmdbVectorStore(join(dir, "store", "vectors"), s.dataset);
    const vecs = [...store.entries()].map(([, v]) => v);
    await store.close();
    // videos with identical featurised inputs (a reused caption with the same categories) share a vector
    const catalog = new LmdbCatalog(join(dir, "catalog"), s.dataset);
    const f = contentFeatures([...catalog.videos()].map((video) => ({ dataset: s.dataset, video })), features);
    await catalog.close();
    const inputs = new Set(Array.from({ length: f.rows }, (_, r) => `${f.text.subarray(r * features.textMaxTokens, (r + 1) * features.textMaxTokens).join(",")}|${f.meta.subarray(r * features.metaMaxTokens, (r + 1) * features.metaMaxTokens).join(",")}`));
    t.ok(vecs.every((v) => v.every(Number.isFinite) && Math.abs(Math.hypot(...v) - 1) < 1e-4), `${s.dataset}: finite unit vectors`);
    const distinct = new Set(vecs.map((v) => Array.from(v.subarray(0, 4), (x) => x.toFixed(5)).join(",")));
    t.equal(distinct.size, inputs.size, `${s.dataset}: ${distinct.size} distinct vectors of ${vecs.length} = distinct inputs`);
    const index = HnswIndex.load(s.index);
    t.equal(index.size, sample);
  }
});
