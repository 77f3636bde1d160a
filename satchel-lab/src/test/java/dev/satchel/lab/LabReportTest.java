package dev.satchel.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabReportTest {
    private static final Pattern STICKY_HOLDS =
            Pattern.compile("(?i)sticky sessions lose the sessions of a crashed server[^\\n]*\\bholds\\b");

    @TempDir
    Path dir;

    private String read(String name) throws IOException {
        return Files.readString(dir.resolve(name));
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void writesTheThreeFilesAndNothingHalfWritten() throws IOException {
        Path folder = dir.resolve("lab/2026-12-03");
        LabReport.write(LabFixtures.results(), folder);
        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("results.json", "summary.md", "index.html");
        }
        // Again over the same folder: the files are replaced, not appended to.
        LabReport.write(LabFixtures.noFault(), folder);
        assertThat(Files.readString(folder.resolve("summary.md"))).contains("fault: none");
    }

    @Test
    void theSummaryHasTheTablesAndOneLinePerClaim() throws IOException {
        LabReport.write(LabFixtures.results(), dir);
        String md = read("summary.md");
        assertThat(STICKY_HOLDS.matcher(md).find()).isTrue();
        assertThat(md)
                .startsWith("# Satchel lab report")
                .contains("```sh\nsatchel lab --strategies memory,replicated --fault kill --seed 42\n```")
                .contains("| claim | tested by | verdict | evidence |")
                .contains(
                        "| strategy | routing | nodes | req/s | steady p50 ms | steady p99 ms | during-fault p99 ms |")
                .contains(
                        "| memory | sticky-cookie | 3 | 99.8 | 1.1 | 4.4 | 250.0 | 10 | 12 | 0 | 0 | 0 | 9 | 3.2 | 48 |")
                .contains("| holds: redis +0.4 ms, sql +1.9 ms at p50 |")
                .contains("- redis-cluster: no redis-server on PATH | try again");
        for (SeedClaim c : LabReport.claims(LabFixtures.results())) {
            assertThat(md.lines().filter(l -> l.startsWith("| " + c.claim() + " | ")))
                    .as(c.claim())
                    .singleElement()
                    .satisfies(l -> assertThat(l).contains(" | " + c.verdictWords() + " | "));
        }
    }

    @Test
    void theSummarySaysSoWhenMemoryLostNothing() throws IOException {
        StrategyRun kept =
                LabFixtures.memory().anomalies(AnomalyKind.LOST_SESSION, 0).build();
        List<StrategyRun> runs = LabFixtures.results().runs().stream()
                .map(r -> r.strategy().equals("memory") ? kept : r)
                .toList();
        LabReport.write(LabFixtures.results("kill", runs), dir);
        String md = read("summary.md");
        assertThat(md)
                .containsPattern("(?i)sticky sessions lose the sessions of a crashed server[^\\n]*does not hold here");
        assertThat(STICKY_HOLDS.matcher(md).find()).isFalse();
    }

    @Test
    void cellsKeepTheirPipesAndNewlinesInside() {
        assertThat(MarkdownSummary.cell("a|b\nc\r\nd")).isEqualTo("a\\|b c d");
        assertThat(MarkdownSummary.fence("run ``` this")).isEqualTo("````");
    }

    @Test
    void thePageHasEveryStrategyAChartEachAndNoScript() throws IOException {
        LabReport.write(LabFixtures.results(), dir);
        String html = read("index.html");
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg").contains("viewBox=\"0 0 ");
        for (StrategyRun r : LabFixtures.results().runs()) {
            assertThat(html).contains("<h2>" + r.strategy() + "</h2>");
        }
        // One timeline per strategy, the latency bars, and the bytes and CPU bars.
        assertThat(count(html, "<svg")).isEqualTo(LabFixtures.results().runs().size() + 3);
        assertThat(count(html, "<svg")).isEqualTo(count(html, "</svg>"));
        assertThat(count(html, "<table")).isEqualTo(count(html, "</table>"));
        assertThat(count(html, "<g>")).isEqualTo(count(html, "</g>"));
        assertThat(count(html, "<title>")).isEqualTo(count(html, "</title>"));
        assertThat(html)
                .contains("<td class=\"verdict holds\">holds</td>")
                .contains("class=\"verdict not-measured\"")
                .contains("kill node-1")
                .contains("serving node-1")
                .contains("lost session")
                .contains(AnomalyKind.INDETERMINATE.meaning())
                .contains("redis-cluster: no redis-server on PATH | try again");
        // Offline: nothing to fetch.
        assertThat(html)
                .doesNotContain("src=")
                .doesNotContain("href=")
                .doesNotContain("@import")
                .doesNotContain("url(");
    }

    @Test
    void aDelayRunDrawsLatencyAgainstTheDelayAddedToTheStore() throws IOException {
        LabReport.write(LabFixtures.delays(), dir);
        String html = read("index.html");
        String md = read("summary.md");
        assertThat(html)
                .contains("As the servers move apart")
                .contains("steady p50 latency, by delay added between servers")
                .contains("steady p99 latency, by delay added between servers")
                .contains("redis, 10 ms added to the store")
                .contains("redis at 10 ms added: 35");
        assertThat(html).doesNotContain("NaN").doesNotContain("Infinity");
        // In each of the two charts: redis and sql at 0 and 10 ms, and memory, the baseline, at 0 only.
        assertThat(count(html, "<circle")).isEqualTo(10);
        assertThat(md).contains("## As the servers move apart").contains("| redis | 10 | to the store | 1.60 | 35.0 |");
        assertThat(md)
                .as("the seed's claim reads its round trips at 0 ms, and the rise from the delay run")
                .contains("redis 1.60, sql 1.70 round trips to the store per request")
                .contains("redis +32.0 ms at 10 ms each way (1.60 round trips per request)");
        LabResults again = LabReport.read(dir.resolve("results.json"));
        assertThat(again.settings().delaysMillis()).containsExactly(0, 10);
        assertThat(again.runs()).extracting(StrategyRun::delayMillis).containsExactly(0, 0, 0, 10, 10);
    }

    @Test
    void aScalingRunDrawsBytesAndSessionsAgainstTheClusterSize() throws IOException {
        LabReport.write(LabFixtures.scaling(), dir);
        String html = read("index.html");
        String md = read("summary.md");
        // Four timelines, latency, bytes and CPU bars, and the three scaling lines.
        assertThat(count(html, "<svg")).isEqualTo(10);
        assertThat(html).contains("What the sessions take in memory").contains("heap growth per node, by cluster size");
        assertThat(html)
                .contains("As the cluster grows")
                .contains("bytes between the nodes per request, by cluster size");
        assertThat(html).doesNotContain("NaN").doesNotContain("Infinity");
        assertThat(count(html, "<circle")).isEqualTo(12);
        assertThat(md).contains("## As the cluster grows").contains("| replicated | 6 | 500 | – | 600 | 900 |");
        // 600 sessions made, a copy on each of six nodes at 1,000 B: 3.6 MB in all, 6,000 B a session.
        assertThat(md)
                .contains("## What the sessions take in memory")
                .contains("| replicated | 6 | 600 | 3600 | 3.6 | 1000 | 6000 | – |");
        assertThat(md)
                .containsPattern("broadcast storms as servers grow \\| replicated at 2 to 6 nodes \\| holds: x5\\.0");
        LabResults again = LabReport.read(dir.resolve("results.json"));
        assertThat(again.settings().nodeCounts()).containsExactly(2, 6);
        assertThat(again.runs()).extracting(StrategyRun::nodes).containsExactly(2, 2, 6, 6);
    }

    @Test
    void hostileTextFromAServerAppearsOnlyEscaped() throws IOException {
        LabReport.write(LabFixtures.results(), dir);
        String html = read("index.html");
        assertThat(html).doesNotContain("<script").doesNotContain(LabFixtures.HOSTILE);
        assertThat(html).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        assertThat(Html.escape("a&b<c>\"d'e\u0000")).isEqualTo("a&amp;b&lt;c&gt;&quot;d&#39;e\uFFFD");
    }

    @Test
    void anEmptyRunDrawsWithoutNaNOrInfinity() throws IOException {
        LabReport.write(LabFixtures.empty(), dir);
        String html = read("index.html");
        assertThat(html).doesNotContain("NaN").doesNotContain("Infinity");
        assertThat(html).contains("no seconds recorded").contains("no data");
        assertThat(count(html, "<svg")).isEqualTo(4).isEqualTo(count(html, "</svg>"));
        assertThat(html).contains("not measured");
        assertThat(read("summary.md")).doesNotContain("NaN").doesNotContain("Infinity");

        LabResults nothingRan = LabFixtures.results("none", List.of());
        LabReport.write(nothingRan, dir);
        assertThat(read("index.html")).contains("no strategy ran").doesNotContain("NaN");
        assertThat(read("summary.md")).contains("No strategy ran.");
    }

    @Test
    void aRunWithoutAFaultHasNoMarkersAndNoFaultFigures() throws IOException {
        LabReport.write(LabFixtures.noFault(), dir);
        String html = read("index.html");
        assertThat(html).doesNotContain("class=\"fault\"").doesNotContain("NaN");
        assertThat(read("summary.md"))
                .contains("| memory | sticky-cookie | 3 | 99.8 | 1.1 | 4.4 | – | 10 | 0 | 0 | 0 | 0 | 0 | – | 48 |");
    }

    @Test
    void resultsJsonReadsBackToTheSameRun() throws IOException {
        LabResults results = LabFixtures.results();
        LabReport.write(results, dir);
        LabResults back =
                new ObjectMapper().readValue(dir.resolve("results.json").toFile(), LabResults.class);
        assertThat(back.runs())
                .extracting(StrategyRun::strategy)
                .containsExactly("memory", "replicated", "primary-backup", "redis", "sql", "cookie");
        assertThat(back).isEqualTo(results);
        assertThat(read("results.json")).contains("\n  \"startedAt\"");
    }

    @Test
    void aReportIsDrawnAgainFromItsResultsAndAnythingElseIsRefusedByName() throws IOException {
        LabResults results = LabFixtures.results();
        LabReport.write(results, dir);
        assertThat(LabReport.read(dir.resolve("results.json"))).isEqualTo(results);

        Path notResults = dir.resolve("other.json");
        java.nio.file.Files.writeString(notResults, "{\"runs\": 7}");
        assertThatThrownBy(() -> LabReport.read(notResults))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("is not a lab run's results.json");
        java.nio.file.Files.writeString(notResults, "not json at all");
        assertThatThrownBy(() -> LabReport.read(notResults))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("is not a lab run's results.json");
    }

    @Test
    void bothPagesOpenWithTheSeedsClaimsBeforeTheFigures() throws IOException {
        LabReport.write(LabFixtures.results(), dir);
        String summary = read("summary.md");
        assertThat(summary.indexOf("## The seed's claims")).isPositive().isLessThan(summary.indexOf("## Strategies"));
        String html = read("index.html");
        assertThat(html.indexOf("<h2>The seed&#39;s claims</h2>"))
                .isPositive()
                .isLessThan(html.indexOf("<h2>Strategies</h2>"));
    }
}
