export * as losses from './losses/index.js';
