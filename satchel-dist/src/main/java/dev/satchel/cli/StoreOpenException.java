package dev.satchel.cli;

/**
 * A store that was named correctly but could not be opened: its server did not answer, or a
 * cluster node could not join. A fault of the surroundings, not of the command line, so the
 * command reports it in one line and exits 1, without its usage text.
 */
final class StoreOpenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreOpenException(String message, Throwable cause) {
        super(message, cause);
    }
}
