/**
 * The demo's Web Worker: the model lives and trains here, so the page's main thread only draws. It imports
 * what the MNIST models need (layers, adam, the loss and metric, @strata/io to load and save) and the four
 * backends the page offers, then serves requests from the page's WorkerModel.
 */
import '@strata/layers';
import '@strata/optimizers';
import '@strata/losses-metrics';
import '@strata/io';
// webgl runs here on an OffscreenCanvas, which tfjs-backend-webgl creates itself in a worker.
import '@strata/backends/webgl';
// webgpu where the worker has an adapter; where it has none, setBackend('webgpu') says so.
import '@strata/backends/webgpu';
import '@strata/backends/wasm';
import '@strata/backends/cpu';
import { serveModel } from '@strata/backends';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { WASM_DIR } from './assets.js';

// The worker's script sits one folder below the page (src/ under `vite`, assets/ in a build), and the
// .wasm binaries in a folder beside it.
setWasmPaths(new URL(`../${WASM_DIR}/`, self.location.href).href);

serveModel();
