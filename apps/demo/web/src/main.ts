/**
 * The web half of Strata's MNIST demo: the same models as the terminal demo (../../src/mnist-models.ts),
 * trained in the page with live curves, then used on digits drawn by hand, saved to IndexedDB or a
 * .keras file, and loaded back.
 */
import type { Model } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
// Side-effect imports register 'adam', 'sparse_categorical_crossentropy', 'accuracy', and model.save's
// file formats and targets.
import '@strata/optimizers';
import '@strata/losses-metrics';
import { type BackendName, getBackend, setBackend } from '@strata/backends';
import { ProgbarLogger, type ProgressUpdate } from '@strata/callbacks';
import { mnist } from '@strata/datasets';
import { loadModel } from '@strata/io';

import type { ModelKind } from '../../src/cli-args.js';
import { buildModel, prepareImages } from '../../src/mnist-models.js';
import { MNIST_ASSET, MNIST_TEST_COUNT, MNIST_TRAIN_COUNT, WASM_DIR } from './assets.js';
import { CurveChart, ProbabilityChart } from './charts.js';
import { DigitPad } from './digit-pad.js';

/** The IndexedDB key the page saves under (`model.save('indexeddb://strata-mnist-demo')`). */
const IDB_PATH = 'indexeddb://strata-mnist-demo';
const SAVED_AT_KEY = 'strata-mnist-demo:saved-at';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no element #${id}.`);
  return el as T;
};

const ui = {
  status: $('status'),
  backendSelect: $<HTMLSelectElement>('backend-select'),
  activeBackend: $('active-backend'),
  modelSelect: $<HTMLSelectElement>('model-select'),
  build: $<HTMLButtonElement>('build'),
  summary: $('summary'),
  samples: $<HTMLInputElement>('train-samples'),
  epochs: $<HTMLInputElement>('epochs'),
  batchSize: $<HTMLInputElement>('batch-size'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  evaluate: $<HTMLButtonElement>('evaluate'),
  epochProgress: $('epoch-progress'),
  trainLoss: $('train-loss'),
  trainAccuracy: $('train-accuracy'),
  valLoss: $('val-loss'),
  valAccuracy: $('val-accuracy'),
  evalResult: $('eval-result'),
  log: $('log'),
  prediction: $('prediction'),
  confidence: $('confidence'),
  clear: $<HTMLButtonElement>('clear'),
  saveIdb: $<HTMLButtonElement>('save-idb'),
  loadIdb: $<HTMLButtonElement>('load-idb'),
  download: $<HTMLButtonElement>('download'),
  upload: $<HTMLInputElement>('upload'),
  savedNote: $('saved-note'),
};

const lossChart = new CurveChart($<HTMLCanvasElement>('loss-chart'), 'Loss');
const accuracyChart = new CurveChart($<HTMLCanvasElement>('accuracy-chart'), 'Accuracy', { min: 0, max: 1 });
const probChart = new ProbabilityChart($<HTMLCanvasElement>('prob-chart'));

/** The loaded MNIST subset, kept as the int32 tensors loadData returns (0..255 pixels). */
let data: { xTrain: tf.Tensor; yTrain: tf.Tensor; xTest: tf.Tensor; yTest: tf.Tensor } | null = null;
let model: Model | null = null;
/** Epochs trained so far on the current model, so a second Train continues its curves. */
let epochsDone = 0;
let training = false;
let lastPixels: Float32Array | null = null;
/** The epoch of the last progress update, to tell when a new epoch's curve segment starts. */
let lastProgress: { epoch: number } | null = null;

type PageState = 'loading' | 'idle' | 'busy' | 'training' | 'error';

/** Shows a message; `data-state` on <body> lets the browser test wait for the page to settle. */
function setStatus(state: PageState, message: string): void {
  document.body.dataset.state = state;
  ui.status.textContent = message;
  const busy = state === 'busy' || state === 'training' || state === 'loading';
  for (const b of [ui.build, ui.train, ui.evaluate, ui.saveIdb, ui.loadIdb, ui.download, ui.clear]) {
    b.disabled = busy;
  }
  ui.backendSelect.disabled = busy;
  ui.modelSelect.disabled = busy;
  ui.upload.disabled = busy;
  ui.stop.disabled = state !== 'training';
  if (state !== 'loading' && state !== 'busy' && state !== 'training') {
    ui.evaluate.disabled = ui.train.disabled = !data || !model;
    ui.saveIdb.disabled = ui.download.disabled = !model;
    ui.loadIdb.disabled = localStorage.getItem(SAVED_AT_KEY) === null;
  }
}

/** Runs one user action with the controls locked; an error is shown instead of thrown. */
async function task(message: string, fn: () => Promise<string>): Promise<void> {
  setStatus('busy', message);
  try {
    setStatus('idle', await fn());
  } catch (e) {
    console.error(e);
    setStatus('error', `${(e as Error).message ?? e}`);
  }
}

const fmt = (v: number | undefined, digits = 4) =>
  v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);

// ---- backends ------------------------------------------------------------------------------------

/**
 * A browser bundle cannot load backends by name at run time, so each subpath entry is imported here,
 * lazily: a backend's code is fetched only when it is chosen. The wasm backend also needs to know where
 * the build put tfjs's .wasm binaries.
 */
const backendEntries: Record<string, () => Promise<unknown>> = {
  webgl: () => import('@strata/backends/webgl'),
  cpu: () => import('@strata/backends/cpu'),
  wasm: async () => {
    const [{ setWasmPaths }] = await Promise.all([
      import('@tensorflow/tfjs-backend-wasm'),
      import('@strata/backends/wasm'),
    ]);
    setWasmPaths(new URL(`${WASM_DIR}/`, document.baseURI).href);
  },
};

async function useBackend(name: string): Promise<string> {
  const entry = backendEntries[name];
  if (!entry)
    throw new Error(`Unknown backend '${name}'. Expected one of: ${Object.keys(backendEntries).join(', ')}.`);
  await entry();
  const active = await setBackend(name as BackendName);
  ui.activeBackend.textContent = getBackend();
  ui.backendSelect.value = active;
  return active;
}

// ---- model ---------------------------------------------------------------------------------------

/** The shape of one image for this model, read from its input: [784] for the MLP, [28, 28, 1] for the CNN. */
function imageShape(m: Model): number[] {
  return (m.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
}

function showSummary(m: Model): void {
  const lines: string[] = [];
  m.summary(undefined, undefined, (line) => lines.push(line));
  ui.summary.textContent = lines.join('\n');
}

function resetTrainingView(): void {
  epochsDone = 0;
  lossChart.clear();
  accuracyChart.clear();
  ui.log.textContent = '';
  for (const el of [
    ui.epochProgress,
    ui.trainLoss,
    ui.trainAccuracy,
    ui.valLoss,
    ui.valAccuracy,
    ui.evalResult,
  ]) {
    el.textContent = '–';
  }
}

/** Replaces the current model (disposing the old one's weights) and refreshes everything that shows it. */
function setModel(m: Model, trainedEpochs: number | null): void {
  model?.dispose();
  model = m;
  resetTrainingView();
  if (trainedEpochs !== null) epochsDone = trainedEpochs;
  if (!m.compiled) {
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  }
  ui.modelSelect.value = imageShape(m).length === 1 ? 'mlp' : 'cnn';
  showSummary(m);
  void predictDrawing();
}

function newModel(): string {
  const kind = ui.modelSelect.value as ModelKind;
  setModel(buildModel(kind), null);
  return `New ${kind === 'cnn' ? 'convnet' : 'MLP'} built on ${getBackend()}; its weights are random until it is trained.`;
}

// ---- training ------------------------------------------------------------------------------------

function readInt(input: HTMLInputElement, name: string, min: number, max: number): number {
  const v = Number(input.value);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}. Received: ${input.value}`);
  }
  return v;
}

function onProgress(update: ProgressUpdate): void {
  if (update.phase !== 'train') return;
  const { logs, epoch, step, steps } = update;
  const x = epoch + (steps ? step / steps : 1);
  const epochStart = step <= 1 || !lastProgress || lastProgress.epoch !== epoch;
  if (logs.loss !== undefined) lossChart.addTraining(x, logs.loss, epochStart);
  if (logs.accuracy !== undefined) accuracyChart.addTraining(x, logs.accuracy, epochStart);
  if (update.done) {
    if (logs.val_loss !== undefined) lossChart.addValidation(epoch + 1, logs.val_loss);
    if (logs.val_accuracy !== undefined) accuracyChart.addValidation(epoch + 1, logs.val_accuracy);
    ui.valLoss.textContent = fmt(logs.val_loss);
    ui.valAccuracy.textContent = fmt(logs.val_accuracy);
  }
  lastProgress = { epoch };
  lossChart.update();
  accuracyChart.update();
  ui.epochProgress.textContent = `${epoch + 1}/${update.epochs}, step ${step}/${steps ?? '?'}`;
  ui.trainLoss.textContent = fmt(logs.loss);
  ui.trainAccuracy.textContent = fmt(logs.accuracy);
}

async function train(): Promise<void> {
  if (!data || !model || training) return;
  const m = model;
  let count: number;
  let epochs: number;
  let batchSize: number;
  try {
    count = readInt(ui.samples, 'Training digits', 100, data.xTrain.shape[0]);
    epochs = readInt(ui.epochs, 'Epochs', 1, 50);
    batchSize = readInt(ui.batchSize, 'Batch size', 1, 1024);
  } catch (e) {
    setStatus('error', (e as Error).message);
    return;
  }
  training = true;
  lastProgress = null;
  setStatus(
    'training',
    `Training on ${count} digits (${Math.round(count * 0.9)} to learn from, the rest to validate)…`,
  );
  const x = prepareImages(data.xTrain, imageShape(m), count);
  const y = tf.slice(data.yTrain, 0, count);
  const started = performance.now();
  try {
    const history = await m.fit(x, y, {
      batchSize,
      initialEpoch: epochsDone,
      epochs: epochsDone + epochs,
      validationSplit: 0.1,
      callbacks: [
        new ProgbarLogger({
          printFn: (line) => {
            ui.log.textContent += `${line}\n`;
            ui.log.scrollTop = ui.log.scrollHeight;
          },
          onProgress,
        }),
      ],
    });
    const ran = history.epoch.length;
    epochsDone += ran;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const valAcc = history.history.val_accuracy?.at(-1);
    const what = m.stopTraining
      ? `Stopped during epoch ${epochsDone}`
      : `Trained ${ran} epoch${ran === 1 ? '' : 's'}`;
    setStatus(
      'idle',
      `${what} in ${seconds} s on ${getBackend()}` +
        (valAcc === undefined ? '.' : `; validation accuracy ${(valAcc * 100).toFixed(1)}%.`),
    );
  } catch (e) {
    console.error(e);
    setStatus('error', `Training failed: ${(e as Error).message}`);
  } finally {
    tf.dispose([x, y]);
    training = false;
  }
  await predictDrawing();
}

function stop(): void {
  if (!model || !training) return;
  // fit checks this flag after every batch, as Keras does; the epoch's validation still runs.
  model.stopTraining = true;
  ui.status.textContent = 'Stopping after this batch…';
}

async function evaluate(): Promise<string> {
  if (!data || !model) throw new Error('Nothing to evaluate: build or load a model first.');
  const x = prepareImages(data.xTest, imageShape(model));
  try {
    const [loss, accuracy] = (await model.evaluate(x, data.yTest, {
      batchSize: 256,
      verbose: 0,
    })) as number[];
    ui.evalResult.textContent = `accuracy ${fmt(accuracy)}, loss ${fmt(loss)}`;
    return `Evaluated on ${data.xTest.shape[0]} test digits: accuracy ${(accuracy * 100).toFixed(2)}%, loss ${loss.toFixed(4)}.`;
  } finally {
    x.dispose();
  }
}

// ---- drawing and prediction ----------------------------------------------------------------------

let predicting: Promise<void> = Promise.resolve();
let pendingPredictions = 0;

/** Predicts the drawn digit; calls are chained so that a slow prediction never overtakes a newer one. */
function predictDrawing(pixels: Float32Array | null = lastPixels): Promise<void> {
  lastPixels = pixels;
  // How many predictions are queued, for the browser test to wait on.
  ui.prediction.dataset.pending = String(++pendingPredictions);
  predicting = predicting.then(async () => {
    if (!model || !lastPixels || training) {
      if (!lastPixels) {
        probChart.clear();
        ui.prediction.textContent = '–';
        ui.prediction.dataset.probs = '';
        ui.confidence.textContent = '';
      }
      return;
    }
    const m = model;
    const input = lastPixels;
    const probsTensor = tf.tidy(() => m.predict(tf.tensor(input, [1, ...imageShape(m)])) as tf.Tensor);
    const probs = Array.from(await probsTensor.data());
    probsTensor.dispose();
    const best = probs.indexOf(Math.max(...probs));
    probChart.show(probs);
    ui.prediction.textContent = String(best);
    ui.prediction.dataset.probs = JSON.stringify(probs);
    ui.confidence.textContent = `(${(probs[best] * 100).toFixed(1)}%)`;
  });
  predicting = predicting
    .catch((e) => setStatus('error', `Prediction failed: ${(e as Error).message}`))
    .finally(() => {
      ui.prediction.dataset.pending = String(--pendingPredictions);
    });
  return predicting;
}

const pad = new DigitPad($<HTMLCanvasElement>('pad'), $<HTMLCanvasElement>('preview'), (pixels) => {
  void predictDrawing(pixels);
});

// ---- saving and loading --------------------------------------------------------------------------

async function saveToBrowser(): Promise<string> {
  if (!model) throw new Error('Nothing to save: build or train a model first.');
  await model.save(IDB_PATH);
  const when = new Date().toLocaleString();
  localStorage.setItem(SAVED_AT_KEY, when);
  showSavedNote();
  return `Saved to ${IDB_PATH}. Reload the page and press "Load from this browser" to get it back.`;
}

async function loadFromBrowser(): Promise<string> {
  setModel(await loadModel(IDB_PATH), null);
  await predictDrawing();
  return `Loaded ${model!.name} from ${IDB_PATH} onto ${getBackend()}.`;
}

async function uploadFile(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  setModel(await loadModel(bytes), null);
  await predictDrawing();
  return `Loaded ${model!.name} from ${file.name} (${bytes.byteLength.toLocaleString()} bytes).`;
}

function showSavedNote(): void {
  const when = localStorage.getItem(SAVED_AT_KEY);
  ui.savedNote.textContent = when
    ? `A model saved at ${when} is in this browser's IndexedDB (${IDB_PATH}).`
    : 'No model saved in this browser yet.';
}

// ---- wiring --------------------------------------------------------------------------------------

ui.backendSelect.addEventListener('change', () => {
  // Tensors and weights stay where they are: tfjs moves each to the new backend when it is next used.
  void task(`Switching to ${ui.backendSelect.value}…`, async () => {
    const active = await useBackend(ui.backendSelect.value);
    return `Backend: ${active}. The model and data carry over.`;
  });
});
ui.build.addEventListener('click', () => void task('Building…', async () => newModel()));
ui.modelSelect.addEventListener('change', () => void task('Building…', async () => newModel()));
ui.train.addEventListener('click', () => void train());
ui.stop.addEventListener('click', stop);
ui.evaluate.addEventListener('click', () => void task('Evaluating on the test digits…', evaluate));
ui.clear.addEventListener('click', () => pad.clear());
ui.saveIdb.addEventListener('click', () => void task('Saving…', saveToBrowser));
ui.loadIdb.addEventListener('click', () => void task('Loading…', loadFromBrowser));
ui.download.addEventListener(
  'click',
  () =>
    void task('Preparing the download…', async () => {
      await model!.save('downloads://mnist.keras');
      return 'Downloaded mnist.keras (Keras 3 format: keras.saving.load_model reads it too).';
    }),
);
ui.upload.addEventListener('change', () => {
  const file = ui.upload.files?.[0];
  if (file) void task(`Loading ${file.name}…`, () => uploadFile(file));
  ui.upload.value = '';
});

async function start(): Promise<void> {
  setStatus('loading', 'Starting the backend…');
  showSavedNote();
  $('train-total').textContent = MNIST_TRAIN_COUNT.toLocaleString('en');
  $('test-total').textContent = MNIST_TEST_COUNT.toLocaleString('en');
  ui.samples.max = String(MNIST_TRAIN_COUNT);
  const wanted = new URLSearchParams(location.search).get('backend') ?? 'webgl';
  let note = '';
  try {
    await useBackend(wanted);
  } catch (e) {
    // Without WebGL2 (or with it blocklisted) the page still works, on wasm.
    note = ` (${wanted} failed: ${(e as Error).message})`;
    await useBackend('wasm');
  }
  setStatus('loading', 'Loading the MNIST subset…');
  const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData({
    url: new URL(MNIST_ASSET, document.baseURI).href,
  });
  data = { xTrain, yTrain, xTest, yTest };
  newModel();
  setStatus(
    'idle',
    `Ready on ${getBackend()}${note}: ${xTrain.shape[0].toLocaleString('en')} training and ` +
      `${xTest.shape[0].toLocaleString('en')} test digits loaded. Train the model, then draw a digit.`,
  );
}

start().catch((e) => {
  console.error(e);
  setStatus('error', `The demo could not start: ${(e as Error).message}`);
});
