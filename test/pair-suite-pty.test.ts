import { pairSuite } from './helpers/pair-suite.ts';
import { ptyRig } from './helpers/pty-rig.ts';

pairSuite(ptyRig);
