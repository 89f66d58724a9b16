// Every test file: tfjs in production mode, as the CLI runs it (src/core/backend/index.ts), so that tests using the
// cpu backend directly print no "Hi, looks like you are running TensorFlow.js in Node.js" banner.
import * as tf from '@tensorflow/tfjs-core';

tf.env().set('PROD', true);
