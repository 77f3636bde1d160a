package dev.satchel.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** TEMPORARY until the report branch lands. */
public final class LabReport {
    private LabReport() {}

    public static void write(LabResults results, Path folder) throws IOException {
        Files.createDirectories(folder);
        new ObjectMapper()
                .writerWithDefaultPrettyPrinter()
                .writeValue(folder.resolve("results.json").toFile(), results);
    }
}
