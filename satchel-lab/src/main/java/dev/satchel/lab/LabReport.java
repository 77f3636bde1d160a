package dev.satchel.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Writes a lab run's report: {@code results.json} (every figure, for tools), {@code summary.md}
 * (a page of Markdown) and {@code index.html} (tables and charts in one file that opens offline).
 * Each file is written beside its place and moved in, so a reader never finds half a report.
 */
public final class LabReport {
    private LabReport() {}

    /** Writes the three files into {@code folder}, creating it if needed. */
    public static void write(LabResults results, Path folder) throws IOException {
        // Render everything first: a bug in one renderer must not leave a mixed old and new report.
        List<SeedClaim> claims = claims(results);
        byte[] json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(results);
        byte[] markdown = MarkdownSummary.render(results, claims).getBytes(StandardCharsets.UTF_8);
        byte[] html = HtmlPage.render(results, claims).getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(folder);
        replace(folder, "results.json", json);
        replace(folder, "summary.md", markdown);
        replace(folder, "index.html", html);
    }

    /**
     * Reads a run back from its {@code results.json}, so its report can be drawn again, e.g. by a
     * newer version whose verdicts or charts changed.
     *
     * @throws IOException when the file cannot be read or is not a lab run's results
     */
    public static LabResults read(Path resultsJson) throws IOException {
        try {
            return new ObjectMapper()
                    .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                    .readValue(resultsJson.toFile(), LabResults.class);
        } catch (JsonProcessingException | NullPointerException | IllegalArgumentException e) {
            throw new IOException(resultsJson + " is not a lab run's results.json: " + e.getMessage(), e);
        }
    }

    /** The seed's claims about the strategies, each with the verdict this run gives it. */
    public static List<SeedClaim> claims(LabResults results) {
        return SeedClaims.of(results);
    }

    private static void replace(Path folder, String name, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(folder, "." + name + ".", ".tmp");
        try {
            Files.write(tmp, content);
            try {
                Files.move(tmp, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, folder.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
