// tfjs-core's Node bundle registers no gradient functions; tfjs-layers' bundle registers all of core's into the
// global registry (tfjs-layers' index imports tfjs-core/dist/register_all_gradients). Every module that
// differentiates through src/core/nn imports this file.
import '@tensorflow/tfjs-layers';
