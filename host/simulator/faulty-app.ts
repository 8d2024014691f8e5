/**
 * App images with a fault in them, for the simulator's wide fault model:
 * an app whose handler or apply throws on a share of inputs (the same
 * inputs on both boards: the choice hashes the input), an app whose
 * converter from the prior state version throws the first time (a joiner
 * that cannot install its big checkpoint), and images that differ from the
 * pair's in app name or checkpoint model (a mismatched partner).
 */
import type { AnyApp } from '../../firmware/app.ts';
import type { AppFaultSite } from './fault-model.ts';

/** An exception the simulator injected into an app. */
export class InjectedAppFault extends Error {
  override name = 'InjectedAppFault';
  readonly injected = true;
}

/** Counts what the wrappers threw, for the seed's fault counts. */
export interface FaultTally {
  appExceptions: number;
  installFailures: number;
}

/** FNV-1a over the JSON of a value: the same input strikes on every board. */
function strikes(value: unknown, rate: number): boolean {
  const text = JSON.stringify(value) ?? '';
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) / 4294967296 < rate;
}

/** `app` with its handler or its apply throwing on a share `rate` of inputs. */
export function withAppFaults(
  app: AnyApp,
  site: AppFaultSite,
  rate: number,
  tally: FaultTally,
): AnyApp {
  if (site === 'handle') {
    return {
      ...app,
      handle(state, request, context) {
        if (strikes(request, rate)) {
          tally.appExceptions += 1;
          throw new InjectedAppFault(`injected handler fault on ${JSON.stringify(request)}`);
        }
        return app.handle(state, request, context);
      },
    };
  }
  return {
    ...app,
    apply(state, update) {
      // Thrown after the update changed the state, as a bug half way through an apply would.
      const after = app.apply(state, update);
      if (strikes(update, rate)) {
        tally.appExceptions += 1;
        throw new InjectedAppFault(`injected apply fault on ${JSON.stringify(update)}`);
      }
      return after;
    },
  };
}

/** `app` whose converter from the prior state version throws once (per wrapper). */
export function withInstallFault(app: AnyApp, tally: FaultTally): AnyApp {
  const converters = app.converters;
  if (converters === undefined) return app;
  let thrown = false;
  return {
    ...app,
    converters: {
      ...converters,
      fromPrior(prior) {
        if (!thrown) {
          thrown = true;
          tally.installFailures += 1;
          throw new InjectedAppFault('injected fault converting the big checkpoint');
        }
        return converters.fromPrior(prior);
      },
    },
  };
}

/** Another app under the same code and version: a partner image built from another project. */
export function renamedApp(app: AnyApp): AnyApp {
  return { ...app, name: `${app.name}-other` };
}

/** Memoises a loader per version, so one board keeps one image object (and its once-only faults). */
export function memoLoader(load: (version: string) => AnyApp): (version: string) => AnyApp {
  const images = new Map<string, AnyApp>();
  return (version) => {
    let app = images.get(version);
    if (app === undefined) {
      app = load(version);
      images.set(version, app);
    }
    return app;
  };
}
