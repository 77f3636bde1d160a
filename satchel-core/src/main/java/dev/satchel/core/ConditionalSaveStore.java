package dev.satchel.core;

/**
 * A store whose {@link #save} honours a change set's {@link ChangeSet#expectations()}: it writes
 * the change set only if, at the moment it applies it, every expected attribute holds the
 * expected value, and otherwise writes nothing and returns {@link SaveOutcome#CONFLICT}. That
 * check and the write are one atomic step with respect to every other save of the session, on
 * every node. This is what an atomic update of one attribute ({@code SatchelSessions.update})
 * needs; a store that cannot decide it in one place (sealed cookies, where each request carries
 * its own copy) does not implement this interface, and such updates are refused rather than
 * pretended.
 *
 * <p>Stores that do not implement this interface must not be given change sets with
 * expectations: they would apply them unconditionally.
 */
public interface ConditionalSaveStore extends SessionStore {}
