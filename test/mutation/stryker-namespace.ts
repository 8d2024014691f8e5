/**
 * The namespace Stryker's instrumented code shares with its test runner
 * (`__stryker__` on the global object; @stryker-mutator/api's
 * INSTRUMENTER_CONSTANTS name its fields): which mutant is on, which test
 * runs, and what each test reached.
 */
import type { MutantCoverage } from '@stryker-mutator/api/core';

export interface StrykerNamespace {
  activeMutant?: string;
  currentTestId?: string;
  hitCount?: number;
  hitLimit?: number;
  mutantCoverage?: MutantCoverage;
}

export function strykerNamespace(): StrykerNamespace {
  const global = globalThis as { __stryker__?: StrykerNamespace };
  global.__stryker__ ??= {};
  return global.__stryker__;
}
