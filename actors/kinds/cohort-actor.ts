import { assertNever, hash32, type CohortBaselines, type CohortMsg } from "../../protocols/index.ts";
import { defineActor } from "../actor-behavior.ts";

interface CategoryTotals {
  watches: number;
  watchRatioSum: number;
  completions: number;
  skips: number;
}

export interface CohortState {
  members: number;
  /** A bounded, deterministic sample of member keys (lowest hashes win: a bottom-k sketch). */
  sample: string[];
  categories: CategoryTotals[];
  total: CategoryTotals;
}

const SAMPLE_SIZE = 100;
/** A category needs this many watches before its own baseline replaces the cohort-wide one. */
const MIN_WATCHES = 30;

/** A cohort: a member sample and per-category engagement baselines (the cold-start score's yardstick). */
export const cohortActor = defineActor<CohortState, CohortMsg>({
  kind: "cohort",
  initialState: () => ({ members: 0, sample: [], categories: [], total: { watches: 0, watchRatioSum: 0, completions: 0, skips: 0 } }),
  receive(ctx, msg): CohortBaselines | undefined {
    const s = ctx.state;
    switch (msg.type) {
      case "cohort.join": {
        s.members++;
        if (!s.sample.includes(msg.userKey)) {
          s.sample.push(msg.userKey);
          if (s.sample.length > SAMPLE_SIZE) {
            s.sample.sort((a, b) => hash32(a) - hash32(b));
            s.sample.length = SAMPLE_SIZE;
          }
        }
        return undefined;
      }
      case "cohort.leave":
        s.members = Math.max(0, s.members - 1);
        s.sample = s.sample.filter((k) => k !== msg.userKey);
        return undefined;
      case "cohort.summary": {
        const c = (s.categories[msg.category] ??= { watches: 0, watchRatioSum: 0, completions: 0, skips: 0 });
        for (const t of [c, s.total]) {
          t.watches += msg.watches;
          t.watchRatioSum += msg.watchRatioSum;
          t.completions += msg.completions;
          t.skips += msg.skips;
        }
        return undefined;
      }
      case "cohort.get-baselines": {
        const n = Math.max(1, s.total.watches);
        const g = { wr: s.total.watches > 0 ? s.total.watchRatioSum / n : 0.5, c: s.total.watches > 0 ? s.total.completions / n : 0.2, sk: s.total.watches > 0 ? s.total.skips / n : 0.3 };
        const len = s.categories.length;
        const pick = (f: (t: CategoryTotals) => number, global: number) =>
          Array.from({ length: len }, (_, k) => {
            const t = s.categories[k];
            return t !== undefined && t.watches >= MIN_WATCHES ? f(t) / t.watches : global;
          });
        return {
          members: s.members,
          watchRatio: pick((t) => t.watchRatioSum, g.wr),
          completion: pick((t) => t.completions, g.c),
          skipRate: pick((t) => t.skips, g.sk),
        };
      }
      default:
        return assertNever(msg, "cohort message");
    }
  },
});

/** Per-category baseline with a global fallback for categories the cohort has not seen. */
export function baselineFor(b: CohortBaselines, category: number): { watchRatio: number; completion: number; skipRate: number } {
  const mean = (xs: number[], d: number) => (xs.length > 0 ? xs.reduce((a, x) => a + x, 0) / xs.length : d);
  return {
    watchRatio: b.watchRatio[category] ?? mean(b.watchRatio, 0.5),
    completion: b.completion[category] ?? mean(b.completion, 0.2),
    skipRate: b.skipRate[category] ?? mean(b.skipRate, 0.3),
  };
}
