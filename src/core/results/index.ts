export * from './collect';
export * from './render-md';
export * from './stats';
export * from './sweep-store';
