package dev.satchel.bench.store;

/** What each request of a run does to its session. */
enum Workload {
    CHANGE("load, read one attribute, change it, save"),
    READ("load and read one attribute, change nothing");

    final String description;

    Workload(String description) {
        this.description = description;
    }

    void run(Contender c, String id, int seed) {
        if (this == CHANGE) {
            c.loadChangeSave(id, seed);
        } else {
            c.loadOnly(id);
        }
    }
}
