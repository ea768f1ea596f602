// tfjs-core's Node bundle ships no gradient functions; @strata/core registers them (and tfjs's chained ops)
// from its bundled copy of tfjs-core's registration modules as it loads. Importing tfjs-core's own
// `dist/register_all_gradients` instead loads its ESM tree of ~1,000 modules through Vitest's module runner
// in every test file (~1 s idle, ~10 s at load 10).
import '@strata/core';
