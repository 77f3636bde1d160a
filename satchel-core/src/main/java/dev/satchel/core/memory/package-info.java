/**
 * Sessions in this JVM's heap: {@link dev.satchel.core.memory.MemorySessionStore}, the {@code
 * local} strategy, with its deadline-ordered expiry queue and its budget in bytes of heap. It lives
 * in core because it needs no server and no library, and because the cluster stores keep each
 * node's copies in it.
 */
package dev.satchel.core.memory;
