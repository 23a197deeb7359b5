// Reserved: @streampulse/sources (synthetic source systems) is not built yet — see sources/README.md.
export {};
