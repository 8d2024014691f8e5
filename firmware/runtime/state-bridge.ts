/**
 * Which state versions two images can exchange, and the conversions on
 * either side. The newer image carries both converters, so an old image
 * never needs to know a newer shape.
 */
import type { AnyApp } from '../app.ts';
import type { ReasonOf } from '../reasons.ts';
import { ReasonError } from '../wire/errors.ts';
import { CLIENTS_MAX_DEFAULT } from './config.ts';
import type { Hello } from './messages.ts';

export type Bridge =
  /** Same state version: send as is. */
  | { readonly kind: 'same' }
  /** We are newer: convert down before sending. */
  | { readonly kind: 'send-down'; readonly stateVersion: number }
  /** The partner is newer: send ours, the partner converts up. */
  | { readonly kind: 'partner-converts' }
  | {
      readonly kind: 'incompatible';
      readonly why: ReasonOf<'other-app' | 'other-model' | 'other-clients-max' | 'no-converter'>;
    };

/** `ours`: the hello we send (its reply cache's clients). */
export function bridgeTo(app: AnyApp, partner: Hello, ours: Hello): Bridge {
  if (partner.app !== app.name) {
    return { kind: 'incompatible', why: { code: 'other-app', app: partner.app, ours: app.name } };
  }
  if (partner.model !== app.checkpoint) {
    return {
      kind: 'incompatible',
      why: { code: 'other-model', model: partner.model, ours: app.checkpoint },
    };
  }
  // A hello that does not say it is from an image before the setting: it kept the default.
  const clientsMax = partner.clientsMax ?? CLIENTS_MAX_DEFAULT;
  const ourClientsMax = ours.clientsMax ?? CLIENTS_MAX_DEFAULT;
  if (clientsMax !== ourClientsMax) {
    return {
      kind: 'incompatible',
      why: { code: 'other-clients-max', clientsMax, ours: ourClientsMax },
    };
  }
  if (partner.stateVersion === app.stateVersion) return { kind: 'same' };
  if (app.converters?.priorStateVersion === partner.stateVersion) {
    return { kind: 'send-down', stateVersion: partner.stateVersion };
  }
  if (partner.priorStateVersion === app.stateVersion) return { kind: 'partner-converts' };
  return {
    kind: 'incompatible',
    why: {
      code: 'no-converter',
      ours: app.stateVersion,
      version: app.version,
      theirs: partner.stateVersion,
      partner: partner.version,
    },
  };
}

/** Our state in the shape of `stateVersion`, which `bridgeTo` said the partner reads. */
export function stateFor(
  app: AnyApp,
  state: unknown,
  bridge: Bridge,
): { stateVersion: number; state: unknown } {
  if (bridge.kind === 'send-down' && app.converters !== undefined) {
    return { stateVersion: bridge.stateVersion, state: app.converters.toPrior(state) };
  }
  return { stateVersion: app.stateVersion, state };
}

/** A received state in our own shape. Throws if no converter applies. */
export function stateFrom(app: AnyApp, stateVersion: number, state: unknown): unknown {
  if (stateVersion === app.stateVersion) return state;
  if (app.converters?.priorStateVersion === stateVersion) return app.converters.fromPrior(state);
  throw new ReasonError({ code: 'unreadable-state', stateVersion, version: app.version });
}
