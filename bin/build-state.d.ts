/** See build-state.js. */
export function buildState(distDir: string, root: string): 'fresh' | 'stale' | 'absent';
