// tfjs-core's Node bundle ships no gradient functions; the training step needs them. Until @strata/core
// registers them itself, the tests load tfjs-core's own registration module.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
