/** @streampulse/pipelines: the Data Factory expression language, generator, validator and local executor. */
export * from './expression/index.js';
