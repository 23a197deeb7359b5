// Reserved: @streampulse/dashboards (Metabase payloads, static HTML dashboard) is not built yet — see dashboards/README.md.
export {};
