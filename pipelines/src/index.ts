// Reserved: @streampulse/pipelines (Data Factory generator, validator, local executor) is not built yet — see pipelines/README.md.
export {};
