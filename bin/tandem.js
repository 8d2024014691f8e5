#!/usr/bin/env node
// The CLI runs on the TypeScript sources: tsx compiles them as they load.
import { register } from 'tsx/esm/api';

register();
await import('../host/cli/main.ts');
