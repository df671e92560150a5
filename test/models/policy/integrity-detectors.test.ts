import t from "tap";
import { createRng, detectBotSession, detectFarms, detectLoop, SessionSignals, type BotDetectorConfig, type EngagementEvent, type FarmDetectorConfig, type Rng } from "../../../models/index.ts";

const bot: BotDetectorConfig = { minEvents: 20, maxGapCv: 0.2, perfectCompletion: 0.95, burstEvents: 20, burstWindowMs: 10_000, minSignals: 2 };
const farm: FarmDetectorConfig = { windowMs: 120_000, minSessions: 5, minSharedVideos: 3, minGroupSize: 5, burstFactor: 5, maxCellSessions: 500 };
const HOURS6 = 6 * 3_600_000;

/** A human session: think times exponential around 15 s plus watch time, watch ratios spread, ~25% completions. */
function human(rng: Rng, n: number, start: number): { times: number[]; ratios: number[] } {
  const times: number[] = [], ratios: number[] = [];
  let t = start;
  for (let i = 0; i < n; i++) {
    const r = rng.next() < 0.25 ? 1 + 0.3 * rng.next() : rng.next();
    t += 1000 + rng.exponential(15_000) + r * 12_000;
    times.push(t);
    ratios.push(r);
  }
  return { times, ratios };
}

t.test("bot detector - flags regular, perfect and bursting bots, not humans", async (t) => {
  const rng = createRng(31);
  let humansFlagged = 0;
  for (let u = 0; u < 300; u++) {
    const h = human(rng, 20 + rng.int(60), rng.int(HOURS6));
    if (detectBotSession(h.times, h.ratios, bot).bot) humansFlagged++;
  }
  t.equal(humansFlagged, 0, "no human session flagged");
  // clockwork bot: a watch every 5 s ± 50 ms, always complete
  const clock = Array.from({ length: 40 }, (_, i) => 5000 * i + 50 * rng.normal());
  const v1 = detectBotSession(clock, clock.map(() => 1), bot);
  t.ok(v1.bot, `clockwork bot flagged (${v1.signals.join(", ")}, cv ${v1.gapCv.toFixed(3)})`);
  // burst bot: human-like spacing, then 30 perfect completions in 6 s
  const h = human(rng, 25, 0);
  const last = h.times[h.times.length - 1]!;
  const times = [...h.times, ...Array.from({ length: 30 }, (_, i) => last + 1000 + 200 * i + rng.int(50))];
  const ratios = [...h.ratios.map(() => 1), ...Array.from({ length: 30 }, () => 1)];
  const v2 = detectBotSession(times, ratios, bot);
  t.ok(v2.bot, `burst bot flagged (${v2.signals.join(", ")})`);
  t.same(v2.signals.includes("burst"), true);
  // one signal alone is not enough: a binge-watcher who finishes everything at a human pace
  const binge = human(rng, 40, 0);
  t.notOk(detectBotSession(binge.times, binge.times.map(() => 1), bot).bot, "a completionist human is not a bot");
});

t.test("bot detector - streaming signals survive passivation", async (t) => {
  const s = new SessionSignals(bot.burstWindowMs);
  for (let i = 0; i < 30; i++) s.record(i * 4000, 1);
  const back = SessionSignals.fromState(JSON.parse(JSON.stringify(s.toState())), bot.burstWindowMs);
  t.same(back.verdict(bot), s.verdict(bot));
  t.ok(back.verdict(bot).bot);
});

t.test("farm detector - finds an injected farm and no normal users", async (t) => {
  for (const seed of [41, 42, 43]) {
    const rng = createRng(seed);
    const events: EngagementEvent[] = [];
    // 400 humans over 6 h on a Zipf-ish catalog of 2000 videos (popular videos get steady traffic)
    for (let u = 0; u < 400; u++) {
      const h = human(rng, 30, rng.int(HOURS6 - 3_600_000));
      for (const time of h.times) events.push({ session: `u${u}`, video: Math.floor(2000 * rng.next() ** 3), t: time });
    }
    // a farm: 12 accounts, 8 target videos, each hit by all of them within ~60 s at a random moment
    const targets = Array.from({ length: 8 }, (_, i) => 5000 + i);
    targets[0] = 3; // one target is already popular: the farm still shows up as a burst on it
    for (const v of targets) {
      const at = rng.int(HOURS6);
      for (let b = 0; b < 12; b++) events.push({ session: `farm${b}`, video: v, t: at + rng.int(60_000) });
    }
    events.sort((a, b) => a.t - b.t);
    const groups = detectFarms(events, farm);
    const flagged = groups.flatMap((g) => g.sessions);
    t.equal(groups.length, 1, `seed ${seed}: one group found`);
    t.same(flagged.filter((s) => s.startsWith("farm")).length, 12, `seed ${seed}: every farm account flagged`);
    t.same(flagged.filter((s) => s.startsWith("u")), [], `seed ${seed}: no normal user flagged`);
    t.ok(groups[0] && targets.every((v) => groups[0]!.videos.includes(v)), `seed ${seed}: the farm's videos are named`);
  }
});

t.test("loop detector - repeated-cluster exposure over a full window", async (t) => {
  const cfg = { window: 10, maxClusterShare: 0.6 };
  t.same(detectLoop([1, 2, 3, 3, 3, 3, 3, 3, 3, 4, 3], cfg), { looping: true, cluster: 3, share: 0.8 });
  t.equal(detectLoop([3, 3, 3, 3], cfg).looping, false, "too little history");
  t.equal(detectLoop([1, 2, 3, 3, 1, 2, 3, 3, 4, 5], cfg).looping, false);
});
