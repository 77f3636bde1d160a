package dev.satchel.lab;

/** Where a lab run reports how far it is: a console bar, or nothing in tests. */
public interface LabProgress {
    /** A phase began, e.g. "memory: measuring", lasting about {@code seconds} (0 when unknown). */
    void phase(String name, int seconds);

    /** A second of the phase passed. */
    void tick(int second, long requests, long failed, long anomalies);

    /** A line worth keeping: a fault, a result. */
    void note(String line);

    /** Reports nothing. */
    LabProgress QUIET = new LabProgress() {
        @Override
        public void phase(String name, int seconds) {}

        @Override
        public void tick(int second, long requests, long failed, long anomalies) {}

        @Override
        public void note(String line) {}
    };
}
