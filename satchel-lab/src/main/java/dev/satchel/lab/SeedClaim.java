package dev.satchel.lab;

import java.util.Objects;

/**
 * One claim the project's seed makes about a session strategy, held against a lab run.
 *
 * @param claim the claim's words as the seed says them
 * @param testedBy which strategy and fault tested it, e.g. {@code "memory, kill node-1 at 20.0 s"}
 * @param verdict what the run says about it
 * @param number for {@link Verdict#HOLDS_WITH_A_NUMBER}, how big the cost is; empty otherwise
 * @param evidence one sentence with the figures the verdict rests on, or what would measure it
 */
public record SeedClaim(String claim, String testedBy, Verdict verdict, String number, String evidence) {
    public SeedClaim {
        Objects.requireNonNull(claim, "claim");
        Objects.requireNonNull(testedBy, "testedBy");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(number, "number");
        Objects.requireNonNull(evidence, "evidence");
        if (verdict == Verdict.HOLDS_WITH_A_NUMBER && number.isBlank()) {
            throw new IllegalArgumentException("a cost needs its number");
        }
    }

    /** The verdict as the report words it, with the number when it is a cost. */
    public String verdictWords() {
        return verdict == Verdict.HOLDS_WITH_A_NUMBER ? verdict.words() + ": " + number : verdict.words();
    }

    /** What a lab run can say about a claim. */
    public enum Verdict {
        /** The run showed what the claim says. */
        HOLDS("holds"),
        /** The claim names a cost; the run measured how big it is. */
        HOLDS_WITH_A_NUMBER("holds"),
        /** The run contradicts the claim. */
        DOES_NOT_HOLD("does not hold here"),
        /** The risk the claim names did not show in this run. */
        NOT_SEEN("not seen here"),
        /** The run lacks what it takes to test the claim. */
        NOT_MEASURED("not measured");

        private final String words;

        Verdict(String words) {
            this.words = words;
        }

        /** The report's words for it. */
        public String words() {
            return words;
        }
    }
}
