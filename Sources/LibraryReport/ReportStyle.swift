/// The report's style sheet, inlined in its `<head>` (the page loads nothing else).
enum ReportStyle {
    static let css = """
    :root { color-scheme: light dark; --fg: #1d2327; --muted: #5f6b73; --line: #d5dbe0; --panel: #f5f7f9;
      --pass: #1a7f37; --fail: #c62828; --neutral: #6b7280; --candidate: #b26a00; --spark: #2563eb; }
    @media (prefers-color-scheme: dark) {
      :root { --fg: #e6e9ec; --muted: #9aa5ae; --line: #3a4249; --panel: #1f2529; --spark: #7aa7ff; }
      body { background: #15191c; }
    }
    body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
      margin: 0 auto; max-width: 1100px; padding: 24px; }
    h1 { font-size: 1.6em; margin: 0 0 12px; }
    h2 { font-size: 1.35em; margin: 0; overflow-wrap: anywhere; }
    h3 { font-size: 1.05em; margin: 20px 0 6px; color: var(--muted); }
    a { color: inherit; }
    .run { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 8px; margin: 0 0 20px; }
    .run div { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
    .run dt { font-size: 0.8em; color: var(--muted); }
    .run dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
    .run .bad dd { color: var(--fail); }
    table { border-collapse: collapse; margin: 4px 0 8px; }
    th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: middle; }
    th { font-size: 0.85em; color: var(--muted); font-weight: 600; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .concept { border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 20px 0; }
    .concept header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 14px; }
    .targets { color: var(--muted); margin: 4px 0 0; overflow-wrap: anywhere; }
    .badge { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 0.85em; font-weight: 600;
      color: #fff; background: var(--neutral); white-space: nowrap; }
    .badge.passed, .badge.published { background: var(--pass); }
    .badge.failed { background: var(--fail); }
    .badge.candidate { background: var(--candidate); }
    .reasons { color: var(--fail); margin: 8px 0 0; }
    .files { font-size: 0.9em; color: var(--muted); overflow-wrap: anywhere; }
    figure { margin: 12px 0; }
    figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); image-rendering: pixelated; }
    figcaption { font-size: 0.85em; color: var(--muted); }
    .none { color: var(--muted); font-style: italic; }
    .held { color: var(--pass); font-weight: 600; }
    .missed { color: var(--fail); font-weight: 600; }
    .sparkline polyline { fill: none; stroke: var(--spark); stroke-width: 1.5; }
    .sparkline circle { fill: var(--spark); }
    .mark.passed { color: var(--pass); } .mark.failed { color: var(--fail); }
    .mark.not_gated, .mark.not_evaluated { color: var(--neutral); }
    footer { color: var(--muted); font-size: 0.85em; margin-top: 28px; }
    """
}
