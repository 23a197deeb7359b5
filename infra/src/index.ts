// Reserved: @streampulse/infra (Pulumi components and per-environment programs) is not built yet — see infra/README.md.
export {};
