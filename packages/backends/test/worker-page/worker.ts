/**
 * The worker half of worker-browser.test.ts, bundled by esbuild and started by the page as a module
 * Worker: what a user's train-worker script holds (the model's packages, the backends the page may
 * select, and serveModel), with tfjs-backend-wasm's binaries fetched from the test server's /wasm/.
 */
import '@strata/layers';
import '@strata/optimizers';
import '@strata/losses-metrics';
import '@strata/io';
import '@strata/backends/cpu';
import '@strata/backends/wasm';
import '@strata/backends/webgpu';
import { serveModel } from '@strata/backends';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

setWasmPaths('/wasm/');
// tfjs-webgpu runs ops on small host-resident tensors on its cpu backend instead (this test's tensors are
// small): off, so the worker's training really runs WebGPU shaders.
tf.env().set('WEBGPU_CPU_FORWARD', false);
serveModel();
