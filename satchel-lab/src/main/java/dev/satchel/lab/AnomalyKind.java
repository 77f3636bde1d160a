package dev.satchel.lab;

/** What the checker found wrong with a response, measured against the shopper's model. */
public enum AnomalyKind {
    /** The session was gone: the cart came back new although the shopper never logged out. */
    LOST_SESSION("lost session", "the cart came back empty and new while the shopper had items and never logged out"),
    /** A change the server had acknowledged is missing, and the cart is not an older state either. */
    LOST_WRITE("lost acknowledged write", "an acknowledged change is missing from the cart"),
    /** The cart equals an older acknowledged state: a copy that had not caught up served the request. */
    STALE_READ("stale read", "the cart equals a state older than the last acknowledged one"),
    /** A session ended by logout opened again with the cookie it had before. */
    RESURRECTED("resurrected after logout", "the cookie from before a logout opened the old cart again"),
    /** A request that failed and changed nothing: a read that failed, or a write refused with a 4xx. */
    ERROR("error", "a read answered 5xx, timed out or refused, or a write refused with a 4xx"),
    /** A write answered 5xx, or whose answer never came: it may or may not have happened. */
    INDETERMINATE(
            "indeterminate write",
            "a write answered 5xx, or whose connection died before the answer: it may or may not have applied");

    private final String label;
    private final String meaning;

    AnomalyKind(String label, String meaning) {
        this.label = label;
        this.meaning = meaning;
    }

    /** A short human name, for tables. */
    public String label() {
        return label;
    }

    /** One sentence saying what was seen, for the report's legend. */
    public String meaning() {
        return meaning;
    }

    /** Whether the kind means session data was lost or wrong, as opposed to a request that failed. */
    public boolean isDataAnomaly() {
        return this != ERROR && this != INDETERMINATE;
    }
}
