import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { buildContext } from "../../bin/cli.ts";
import { embedCommand } from "../../bin/commands/embed.ts";
import { HnswIndex, loadTraining, writeContentModel, type Video } from "../../models/index.ts";
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
