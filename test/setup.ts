// Every Node test file starts on tfjs's CPU backend unless it switches itself.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

await tf.setBackend('cpu');
await tf.ready();

// tfjs's CPU backend tells Node users to install tfjs-node on its first tensor write: once per test process,
// dozens of copies in a run, and advice that does not apply to Strata. Clearing the backend instance's
// first-use flag silences that notice only (tfjs's PROD or IS_TEST flags would hide its other warnings too),
// as `@strata/backends/cpu` does for applications.
const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
