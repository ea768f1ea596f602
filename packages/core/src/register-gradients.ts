// tfjs-core's main entry does not register its op gradients (the @tensorflow/tfjs umbrella does);
// training needs them, so core registers them once here.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
// Chained ops (`x.slice()`, `x.add()`) are likewise registered only by the umbrella; users expect them.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
