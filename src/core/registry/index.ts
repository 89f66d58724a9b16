export * from './plugin';
export * from './registry';
