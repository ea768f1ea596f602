// tfjs-core's main entry registers neither its op gradients nor its chained ops (`x.add()`); the
// @tensorflow/tfjs umbrella does. Training needs the gradients, and users expect chained ops, so core
// registers both, from a bundle of tfjs-core's own registration modules (see scripts/).
import './vendor/tfjs-side-effects.js';
// Types only: brings tfjs's declarations of the chained ops (`x.slice()`) into the program.
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
