/**
 * Small helpers the stores share: argument checks for durations and the daemon threads of
 * background work. Not part of the session API; other modules use them so that every store
 * words its errors and names its threads the same way.
 */
package dev.satchel.core.support;
