/**
 * One transient fault at every moment of a switch, and of a backup's rejoin
 * (test/helpers/fault-walk.ts), for each fault, each duration, one or two
 * paths, and a board that boots at once or after 1.5 s: how many completed,
 * which switch steps failed how often, and what went wrong with the data.
 * Virtual time; one JSON line per fault and setting.
 * Run: node --import tsx test/bench/switch-fault-walk.ts
 */
import { faultAt, TRANSIENT_FAULTS, walkMs } from '../helpers/fault-walk.ts';

const EVERY_MS = 20;
const FAULT_MS = [160, 400, 1200];

for (const procedure of ['switch', 'rejoin'] as const)
  for (const pathCount of [2, 1] as const)
    for (const bootMs of [0, 1500]) {
      const options = { procedure, pathCount, bootMs };
      const spanMs = walkMs(options);
      for (const [fault, inject] of Object.entries(TRANSIENT_FAULTS))
        for (const faultMs of FAULT_MS) {
          let runs = 0;
          let completed = 0;
          const failedSteps: Record<string, number> = {};
          const problems: Record<string, number> = {};
          for (let atMs = 0; atMs <= spanMs; atMs += EVERY_MS) {
            const outcome = faultAt(inject, faultMs, atMs, options);
            runs += 1;
            if (outcome.failedSteps.length === 0) completed += 1;
            for (const step of outcome.failedSteps)
              failedSteps[step] = (failedSteps[step] ?? 0) + 1;
            for (const problem of outcome.problems) {
              // Counts differ run by run; the kind of problem is what adds up.
              const kind = problem.replace(/\d+/g, 'N');
              problems[kind] = (problems[kind] ?? 0) + 1;
            }
          }
          console.log(
            JSON.stringify({
              procedure,
              pathCount,
              bootMs,
              spanMs,
              fault,
              faultMs,
              runs,
              completed,
              failedSteps,
              problems,
            }),
          );
        }
    }
