extension ReportPage {
    /// The report's stylesheet, inlined in the page: system fonts, a readable measure, tables that
    /// scroll sideways and figures that reflow to one column in a narrow window.
    static let style = """

        :root { color-scheme: light; --text: #1f2328; --muted: #59636e; --line: #d8dee4;
          --soft: #f6f8fa; --accent: #0b5cad; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
        body { margin: 0; background: #fff; color: var(--text);
          font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }
        main { max-width: 62rem; margin: 0 auto; padding: 2.5rem 1.5rem 3rem; }
        header { margin-bottom: 1.5rem; }
        h1 { font-size: 2rem; line-height: 1.2; margin: .25rem 0 .5rem; letter-spacing: -.01em; }
        h2 { font-size: 1.3rem; line-height: 1.3; margin: 2.5rem 0 1rem; padding-bottom: .4rem;
          border-bottom: 1px solid var(--line); }
        .kicker { margin: 0; color: var(--muted); font-size: .75rem; font-weight: 600;
          letter-spacing: .08em; text-transform: uppercase; }
        .meta { margin: 0; color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
        .note { color: var(--muted); }
        code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
          font-size: .88em; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        nav { margin: 1.25rem 0 0; padding: .75rem 1rem; background: var(--soft); border-radius: 8px;
          font-size: .92rem; }
        nav ol { margin: 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; font-size: .92rem; margin: 0; }
        th, td { padding: .45rem 1.1rem .45rem 0; text-align: left; vertical-align: top;
          border-bottom: 1px solid var(--line); }
        th:last-child, td:last-child { padding-right: 0; }
        thead th { font-weight: 600; border-bottom: 2px solid var(--line); white-space: nowrap; }
        tbody th { font-weight: 500; color: var(--muted); white-space: nowrap; }
        tfoot td { color: var(--muted); border-bottom: none; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        td { overflow-wrap: break-word; }
        table.settings td, table.files td { overflow-wrap: anywhere; }
        table.settings td { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
          font-size: .88rem; }
        table.files { width: 100%; }
        figure { margin: 0; }
        .panels { display: grid; gap: 1.25rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 24rem), 1fr)); }
        .panel img { display: block; width: 100%; height: auto; background: #fff;
          border: 1px solid var(--line); border-radius: 8px; }
        .panel img.raster { width: auto; max-width: 100%; image-rendering: pixelated; }
        .links { margin: .4rem 0 0; font-size: .85rem; color: var(--muted); }
        figcaption { margin-top: .75rem; color: var(--muted); font-size: .95rem; max-width: 44rem; }
        .text p { margin: 0 0 .9rem; max-width: 44rem; white-space: pre-wrap; overflow-wrap: anywhere; }
        footer { margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--line);
          color: var(--muted); font-size: .8rem; }
        @media (max-width: 40rem) {
          body { font-size: 15px; }
          main { padding: 1.5rem 1rem 2rem; }
          h1 { font-size: 1.6rem; }
          th, td { padding-right: .6rem; }
        }

        """
}
