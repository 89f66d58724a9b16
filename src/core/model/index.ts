export * from './encoder';
export * from './fusion';
export * from './spec';
export * from './transformer-config';
export * from './unified';
