package dev.satchel.lab;

import java.util.List;

/** {@code summary.md}: the run in a page of Markdown, for a terminal, a pull request or an issue. */
final class MarkdownSummary {
    private MarkdownSummary() {}

    static String render(LabResults results, List<SeedClaim> claims) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(ReportText.TITLE).append("\n\n");
        md.append("Run at ")
                .append(line(results.startedAt()))
                .append(" on ")
                .append(line(results.machine()))
                .append(".\n\n");
        md.append("Run it again with:\n\n");
        String fence = fence(results.command());
        md.append(fence)
                .append("sh\n")
                .append(results.command())
                .append('\n')
                .append(fence)
                .append("\n\n");
        md.append("Settings: ")
                .append(line(ReportText.settingsLine(results.settings())))
                .append(".\n\n");

        // The claims first: they are what a reader came to settle; the figures behind them follow.
        md.append("## The seed's claims\n\n");
        table(
                md,
                List.of("claim", "tested by", "verdict", "evidence"),
                claims.stream()
                        .map(c -> List.of(c.claim(), c.testedBy(), c.verdictWords(), c.evidence()))
                        .toList());

        md.append("\n## Strategies\n\n");
        table(
                md,
                ReportText.STRATEGY_HEADERS,
                results.runs().stream().map(ReportText::strategyCells).toList());
        if (results.runs().isEmpty()) {
            md.append("\nNo strategy ran.\n");
        } else {
            md.append("\n## What a request costs\n\n");
            md.append(line(ReportText.RESOURCES_MEASURED)).append("\n\n");
            table(
                    md,
                    ReportText.RESOURCE_HEADERS,
                    results.runs().stream().map(ReportText::resourceCells).toList());
            if (ReportText.anyMemory(results.runs())) {
                md.append("\n## What the sessions take in memory\n\n");
                md.append(line(ReportText.MEMORY_MEASURED)).append("\n\n");
                table(
                        md,
                        ReportText.MEMORY_HEADERS,
                        results.runs().stream().map(ReportText::memoryCells).toList());
            }
            if (results.settings().scales()) {
                md.append("\n## As the cluster grows\n\n");
                md.append(line(ReportText.SCALING_MEASURED)).append("\n\n");
                table(
                        md,
                        ReportText.SCALING_HEADERS,
                        results.runs().stream().map(ReportText::scalingCells).toList());
            }
            if (SoakText.any(results.runs())) {
                md.append("\n## A soak: does memory stay flat?\n\n");
                md.append(line(SoakText.MEASURED)).append("\n\n");
                table(
                        md,
                        SoakText.HEADERS,
                        results.runs().stream()
                                .filter(r -> r.soak().ran())
                                .map(SoakText::cells)
                                .toList());
            }
            if (results.settings().delays()) {
                md.append("\n## As the servers move apart\n\n");
                md.append(line(ReportText.DELAY_MEASURED)).append("\n\n");
                table(
                        md,
                        ReportText.DELAY_HEADERS,
                        results.runs().stream().map(ReportText::delayCells).toList());
            }
        }

        if (!results.skipped().isEmpty()) {
            md.append("\n## Skipped\n\n");
            results.skipped().forEach(s -> md.append("- ").append(line(s)).append('\n'));
        }
        boolean anyNotes = results.runs().stream().anyMatch(r -> !r.notes().isEmpty());
        if (anyNotes) {
            md.append("\n## Notes\n\n");
            for (StrategyRun r : results.runs()) {
                r.notes().forEach(n -> md.append("- ")
                        .append(line(r.strategy()))
                        .append(": ")
                        .append(line(n))
                        .append('\n'));
            }
        }
        return md.toString();
    }

    private static void table(StringBuilder md, List<String> headers, List<List<String>> rows) {
        row(md, headers);
        separator(md, headers.size());
        rows.forEach(r -> row(md, r));
    }

    private static void row(StringBuilder md, List<String> cells) {
        md.append('|');
        for (String c : cells) {
            md.append(' ').append(cell(c)).append(" |");
        }
        md.append('\n');
    }

    private static void separator(StringBuilder md, int columns) {
        md.append('|');
        md.append(" --- |".repeat(columns));
        md.append('\n');
    }

    /** A table cell: a pipe would end the cell and a newline the row. */
    static String cell(String s) {
        return line(s).replace("|", "\\|");
    }

    /** Text kept on one line, so a list item or a row stays whole. */
    static String line(String s) {
        return s.replaceAll("\\R", " ");
    }

    /** A code fence longer than any run of backticks in the text, so the text cannot close it. */
    static String fence(String text) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < text.length(); i++) {
            run = text.charAt(i) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return "`".repeat(Math.max(3, longest + 1));
    }
}
