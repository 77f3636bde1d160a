package dev.satchel.lab;

import java.util.List;
import java.util.Objects;

/**
 * A whole lab run: what the report is drawn from, and what {@code results.json} holds.
 *
 * @param startedAt when the run began, ISO-8601
 * @param machine cores, operating system and Java of the machine it ran on
 * @param command the command line that reproduces it
 * @param settings how it was set up
 * @param runs one per strategy that ran
 * @param skipped strategies that could not run here, each with why
 */
public record LabResults(
        String startedAt,
        String machine,
        String command,
        LabSettings settings,
        List<StrategyRun> runs,
        List<String> skipped) {
    public LabResults {
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(settings, "settings");
        runs = List.copyOf(runs);
        skipped = List.copyOf(skipped);
    }
}
