package dev.satchel.lab;

/**
 * A central store's own count of the work it has served so far, read from the server.
 *
 * @param unit what is counted, e.g. {@code commands} (Redis' {@code total_commands_processed}) or
 *     {@code transactions} (PostgreSQL's {@code xact_commit + xact_rollback})
 * @param count the count now; it starts again from zero when the server restarts
 */
public record StoreOperations(String unit, long count) {}
