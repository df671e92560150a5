import type { Catalog } from "./catalog.ts";
import type { DatasetSource } from "./dataset-source.ts";
import { summarizeReport } from "./load-report.ts";

/** What `importDataset` did; also stored in the catalog's meta under "import". */
export interface ImportSummary {
  dataset: string;
  dir: string;
  files: DatasetSource["files"];
  users: Record<string, unknown>;
  videos: Record<string, unknown>;
  videoPatches: Record<string, unknown> & { unknownVideos: number };
  interactions: Record<string, unknown>;
  /** Interactions whose user / video has no row in the feature files (0 and 0 on KuaiRand). */
  unjoined: { users: number; videos: number; userIds: number[]; videoIds: number[] };
  counts: { videos: number; users: number; interactions: number };
  seconds: number;
  importedAt: string;
}

/**
 * Replaces the catalog's content with a dataset: users, videos, video side files, then interactions
 * (streamed, de-duplicated, session-labelled). Bad rows are skipped and counted unless the source is strict;
 * progress comes from the source's load options.
 */
export async function importDataset(source: DatasetSource, catalog: Catalog): Promise<ImportSummary> {
  const t0 = performance.now();
  await catalog.clear();
  const userIds = new Set<number>();
  const videoIds = new Set<number>();
  const users = source.users();
  for await (const u of users) {
    catalog.putUser(u);
    userIds.add(u.userId);
  }
  const videos = source.videos();
  for await (const v of videos) {
    catalog.putVideo(v);
    videoIds.add(v.videoId);
  }
  await catalog.flush();
  const patches = source.videoPatches();
  let unknownVideos = 0;
  for await (const p of patches) if (!catalog.patchVideo(p.videoId, p.patch)) unknownVideos++;
  await catalog.flush();
  const inter = source.interactions();
  const missingUsers = new Set<number>();
  const missingVideos = new Set<number>();
  const checkUsers = userIds.size > 0;
  for await (const i of inter) {
    catalog.putInteraction(i);
    if (checkUsers && !userIds.has(i.userId)) missingUsers.add(i.userId);
    if (!videoIds.has(i.videoId)) missingVideos.add(i.videoId);
  }
  await catalog.flush();
  const summary: ImportSummary = {
    dataset: source.name,
    dir: source.dir,
    files: source.files,
    users: summarizeReport(users.report),
    videos: summarizeReport(videos.report),
    videoPatches: { ...summarizeReport(patches.report), unknownVideos },
    interactions: summarizeReport(inter.report),
    unjoined: {
      users: missingUsers.size, videos: missingVideos.size,
      userIds: [...missingUsers].slice(0, 20), videoIds: [...missingVideos].slice(0, 20),
    },
    counts: catalog.counts(),
    seconds: (performance.now() - t0) / 1000,
    importedAt: new Date().toISOString(),
  };
  catalog.putMeta("import", summary);
  await catalog.flush();
  return summary;
}
