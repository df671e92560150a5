import t from "tap";
import { videoActor, type VideoState } from "../../actors/index.ts";
import { createCodec } from "../../protocols/index.ts";

const codec = createCodec();
const roundTrip = (s: VideoState): VideoState => videoActor.restore!(codec.decode(codec.encode(videoActor.snapshot!(s))), "v1");

t.test("video actor - its stored tuple restores the same state, and is much smaller than the object", async (t) => {
  const fresh = videoActor.initialState("v1");
  Object.assign(fresh, { impressions: 12, watchMs: 123_456, completions: 3, skips: 5, likes: 1 });
  t.same(roundTrip(fresh), fresh, "a catalog video");
  t.ok(codec.encode(videoActor.snapshot!(fresh)).length < codec.encode(fresh).length / 4, "a quarter of the object's bytes or less");

  const upload: VideoState = {
    ...videoActor.initialState("v2"), stage: 2, impressions: 1234, watchMs: 9_876_543, completions: 77, skips: 300, likes: 12, rewatches: 4,
    authorId: "a17", durationMs: 15_000, category: 3, title: "a title", tags: ["x", "y"],
    stages: [{ impressions: 100, watches: 60, watchRatioSum: 31.25, completions: 20, skips: 10 }, { impressions: 1000, watches: 500, watchRatioSum: 0.1 + 0.2, completions: 150, skips: 80 }],
    reported: [0, 1],
  };
  t.same(roundTrip(upload), upload, "an upload on the ladder with title, tags and fractional sums");
  t.equal(roundTrip(upload).stages[1]!.watchRatioSum, 0.1 + 0.2, "doubles kept exactly");
  const tagsOnly: VideoState = { ...videoActor.initialState("v3"), tags: ["t"] };
  t.same(roundTrip(tagsOnly), tagsOnly, "tags without a title");
  t.notOk("title" in roundTrip(tagsOnly), "no title invented");

  // a ladder stage reported before an earlier one had counters (a hole) comes back as an empty slot
  const holey: VideoState = { ...videoActor.initialState("v4"), stages: [] };
  holey.stages[2] = { impressions: 5, watches: 1, watchRatioSum: 0.5, completions: 0, skips: 1 };
  const back = roundTrip(holey);
  t.equal(back.stages.length, 3);
  t.equal(back.stages[0], undefined);
  t.same(back.stages[2], holey.stages[2]);

  // states stored as objects (before the tuple) are still read
  t.same(videoActor.restore!(codec.decode(codec.encode(upload)), "v2"), upload, "an object state");
});
