package dev.satchel.lab;

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
